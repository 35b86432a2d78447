package harness

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTimingsStatistics(t *testing.T) {
	ms := time.Millisecond
	tm := Timings{Wall: []time.Duration{30 * ms, 10 * ms, 50 * ms, 20 * ms}, CPU: 200 * ms}
	for _, tt := range []struct {
		name      string
		got, want time.Duration
	}{
		{"Min", tm.Min(), 10 * ms}, {"Median", tm.Median(), 30 * ms}, {"Max", tm.Max(), 50 * ms},
		{"Mean", tm.Mean(), 27500 * time.Microsecond}, {"CPUPerRun", tm.CPUPerRun(), 50 * ms},
		{"empty Median", Timings{}.Median(), 0}, {"empty Mean", Timings{}.Mean(), 0},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if tm.Wall[0] != 30*ms {
		t.Errorf("statistics reordered Wall: got %v", tm.Wall)
	}
}

func TestTimeStopsAtError(t *testing.T) {
	boom := errors.New("boom")
	var calls []int
	tm, err := Time(5, func(i int) error {
		calls = append(calls, i)
		if i == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || len(calls) != 3 || len(tm.Wall) != 2 {
		t.Errorf("got err %v, calls %v, %d timings; want boom after calls [0 1 2] and 2 timings", err, calls, len(tm.Wall))
	}
}

func TestTaggedUpstreamAndWriteFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{"b/2.json": []byte("{}"), "a/1.json": []byte("[1]"), "a/notes.txt": []byte("x")}
	if err := WriteFiles(dir, files); err != nil {
		t.Fatal(err)
	}
	u, err := TaggedUpstream(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range u.Files {
		got = append(got, f.Path+":"+string(rune('0'+f.Size)))
	}
	if want := "stage_3_tagged/a/1.json:3,stage_3_tagged/b/2.json:2"; strings.Join(got, ",") != want {
		t.Errorf("got %v, want %s", got, want)
	}
	if _, err := TaggedUpstream(filepath.Join(dir, "a", "empty")); err == nil {
		t.Error("missing directory: want an error")
	}
	if err := os.Mkdir(filepath.Join(dir, "none"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := TaggedUpstream(filepath.Join(dir, "none")); err == nil {
		t.Error("directory without .json files: want an error")
	}
}

func TestFigures(t *testing.T) {
	if CPUTime() <= 0 {
		t.Error("CPUTime: got 0, want the CPU time used so far")
	}
	if GoMemoryMB() <= 0 {
		t.Error("GoMemoryMB: got 0")
	}
	if _, err := os.Stat("/proc/self/status"); err == nil && PeakRSSMB() <= 0 {
		t.Errorf("PeakRSSMB: got %v with /proc present", PeakRSSMB())
	}
}
