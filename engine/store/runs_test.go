package store

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestRunDirs(t *testing.T) {
	s := openTest(t)
	if dirs, err := s.RunDirs(); err != nil || len(dirs) != 0 {
		t.Fatalf("empty store: got %v, %v", dirs, err)
	}
	// Ids that sort differently from creation order.
	var want []string
	for _, id := range []string{"zz", "aa", "mm"} {
		d, err := s.NewRunDir(id)
		if err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			t.Fatalf("run dir %s: %v", d, err)
		}
		want = append(want, d)
		time.Sleep(2 * time.Millisecond)
	}
	got, err := s.RunDirs()
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("RunDirs: got %v, %v; want %v", got, err, want)
	}
	if _, err := s.NewRunDir("zz"); err == nil {
		t.Error("NewRunDir of an existing id succeeded")
	}
	for _, bad := range []string{"", "../x", "a/b", ".x"} {
		if _, err := s.NewRunDir(bad); err == nil {
			t.Errorf("NewRunDir(%q) succeeded", bad)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "x")); err == nil {
		t.Error("NewRunDir escaped runs/")
	}
}
