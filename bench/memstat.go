package bench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// heapEvery is how often the heap is sampled. ReadMemStats stops the
// world for microseconds; every 20ms that is noise.
const heapEvery = 20 * time.Millisecond

// sampleHeap samples the Go heap in use (runtime.MemStats.HeapInuse)
// until the returned function is called; that returns the peak. The
// whole process is sampled: every node of the run shares it.
func sampleHeap() (stop func() uint64) {
	quit, peak := make(chan struct{}), make(chan uint64)
	go func() {
		var ms runtime.MemStats
		var top uint64
		t := time.NewTicker(heapEvery)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			top = max(top, ms.HeapInuse)
			select {
			case <-t.C:
			case <-quit:
				peak <- top
				return
			}
		}
	}()
	return func() uint64 { close(quit); return <-peak }
}

// heapInuse returns the heap in use after a collection: the baseline
// against which a peak is read.
func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// resetPeakRSS restarts the kernel's count of the process's peak resident
// set (Linux: writing 5 to /proc/self/clear_refs), so that a later
// peakRSS covers only what follows. It reports whether it could.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS returns the process's peak resident set in bytes (VmHWM), or 0
// where /proc is not there. It counts what the Go heap does not: Pebble's
// block caches and memtables when they are allocated outside it, and
// stacks.
func peakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
