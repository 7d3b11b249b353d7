//go:build !race

package protocol

// Default counts of random schedules (see race_on_test.go).
const defaultSchedules, defaultLiarSchedules = 100, 60
