package client

import (
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestReadEvents(t *testing.T) {
	stream := ": ping\n\n" +
		"id: 0\nevent: put\ndata: {\"key\":\"a\"}\n\n" +
		"id: 7\nevent: ready\ndata: {}\n\n" +
		"event: multi\ndata: one\ndata: two\n\n" +
		"id:9\nevent:delete\ndata:{}\n\n" +
		"id: 10\nevent: cut" // no blank line: never dispatched
	var got []Event
	resp := &http.Response{Body: io.NopCloser(strings.NewReader(stream))}
	if err := readEvents(resp, func(e Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{ID: "0", Kind: "put", Data: `{"key":"a"}`},
		{ID: "7", Kind: "ready", Data: "{}"},
		{Kind: "multi", Data: "onetwo"},
		{ID: "9", Kind: "delete", Data: "{}"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events =\n%+v\nwant\n%+v", got, want)
	}
}

func TestAddressesAndPaths(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:7401":        "http://127.0.0.1:7401/v1/kv/a%2Fb",
		"http://h:1/":           "http://h:1/v1/kv/a%2Fb",
		"https://h/prefix%20x/": "https://h/prefix%20x/v1/kv/a%2Fb",
		"http://[::1]:7401":     "http://[::1]:7401/v1/kv/a%2Fb",
	} {
		c, err := New(addr, nil)
		if err != nil {
			t.Errorf("New(%q): %v", addr, err)
			continue
		}
		if got := c.endpoint("/v1/kv/", "a/b").String(); got != want {
			t.Errorf("New(%q): URL %s, want %s", addr, got, want)
		}
	}
	if _, err := New("http://", nil); err == nil {
		t.Error("New accepted an address without a host")
	}
	c, _ := New("h:1", nil)
	if got := c.endpoint("/v1/maps/", "k/1", "f/2").String(); got != "http://h:1/v1/maps/k%2F1/f%2F2" {
		t.Errorf("map field URL %s", got)
	}
}
