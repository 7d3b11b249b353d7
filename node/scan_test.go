package node

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestScan(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	keys := []string{"b", "a", "a\x00", "ab", "a/1", "a/2", "c", "a/3"}
	for _, k := range keys {
		must(t, db.Put(ctx, k, []byte("v:"+k)))
	}
	must(t, db.Delete(ctx, "a/2"))
	must(t, db.Increment(ctx, "a/c", 4))
	must(t, db.SetAdd(ctx, "a/s", "m"))
	must(t, db.MapSet(ctx, "a/m", "f", []byte("x")))

	cases := []struct {
		name string
		opts ScanOptions
		want []string
	}{
		{"all", ScanOptions{}, []string{"a", "a\x00", "a/1", "a/3", "a/c", "a/m", "a/s", "ab", "b", "c"}},
		{"prefix", ScanOptions{Prefix: "a/"}, []string{"a/1", "a/3", "a/c", "a/m", "a/s"}},
		{"range", ScanOptions{Start: "a/", End: "b"}, []string{"a/1", "a/3", "a/c", "a/m", "a/s", "ab"}},
		{"limit", ScanOptions{Prefix: "a", Limit: 3}, []string{"a", "a\x00", "a/1"}},
		{"prefix and range", ScanOptions{Prefix: "a/", Start: "a/3", End: "a/m"}, []string{"a/3", "a/c"}},
		{"nothing", ScanOptions{Prefix: "zz"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for rec, err := range db.Scan(ctx, c.opts) {
				must(t, err)
				got = append(got, rec.Key)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("keys = %q, want %q", got, c.want)
			}
		})
	}

	byKey := map[string]Record{}
	for rec, err := range db.Scan(ctx, ScanOptions{Prefix: "a/"}) {
		must(t, err)
		byKey[rec.Key] = rec
	}
	if r := byKey["a/c"]; r.Type != TypeCounter || r.Counter != 4 {
		t.Errorf("a/c = %+v", r)
	}
	if r := byKey["a/s"]; r.Type != TypeSet || !slices.Equal(r.Members, []string{"m"}) {
		t.Errorf("a/s = %+v", r)
	}
	if r := byKey["a/m"]; r.Type != TypeMap || string(r.Fields["f"].Value) != "x" {
		t.Errorf("a/m = %+v", r)
	}
	if r := byKey["a/1"]; r.Type != TypeRegister || string(r.Item.Value) != "v:a/1" {
		t.Errorf("a/1 = %+v", r)
	}
}

func TestScanStopsEarly(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	for _, k := range []string{"a", "b", "c"} {
		must(t, db.Put(ctx, k, nil))
	}
	for range db.Scan(ctx, ScanOptions{}) {
		break
	}
	must(t, db.Close()) // would hang if the broken-off scan still counted as a read in flight
}

func TestLookup(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	must(t, db.Increment(ctx, "c", 3))
	must(t, db.Put(ctx, "r", []byte("v")))
	must(t, db.Delete(ctx, "r"))
	if rec, err := db.Lookup(ctx, "c"); err != nil || rec.Type != TypeCounter || rec.Counter != 3 {
		t.Fatalf("Lookup(c) = %+v, %v", rec, err)
	}
	for _, k := range []string{"r", "absent"} {
		if _, err := db.Lookup(ctx, k); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Lookup(%s) = %v, want ErrNotFound", k, err)
		}
	}
	if _, err := db.Lookup(ctx, ""); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("Lookup of an empty key: %v", err)
	}
}
