package store

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDecodeStatCacheAgreesWithEncodingJSON(t *testing.T) {
	full := statCacheFile{Version: statCacheVersion, Files: map[string]statEntry{
		"/p/objects/ab/x":  {fileSig{Size: 12, Mtime: 1796417340467569051, Ino: 10002886, Ctime: 1796417340479569052}, DigestOf([]byte("a"))},
		"/p/data/ä ö.json": {fileSig{Size: 0, Mtime: -5}, DigestOf([]byte("b"))},
	}}
	marshal := func(f statCacheFile) []byte {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name     string
		body     []byte
		wantFast bool
	}{
		{"as SaveStatCache writes it", marshal(full), true},
		{"empty", marshal(statCacheFile{Version: 1, Files: map[string]statEntry{}}), true},
		{"an escaped path", marshal(statCacheFile{Version: 1, Files: map[string]statEntry{`/p/a"b<c`: {}}}), false},
		{"indented", []byte("{\n \"version\": 1, \"files\": {}}"), false},
		{"truncated", marshal(full)[:100], false},
		{"trailing bytes", append(marshal(full), ' '), false},
		{"a bad digest", []byte(`{"version":1,"files":{"/a":{"size":1,"mtime":2,"digest":"zz"}}}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, fast := decodeStatCache(tt.body)
			if fast != tt.wantFast {
				t.Fatalf("fast path: got %v, want %v", fast, tt.wantFast)
			}
			if !fast {
				return
			}
			var want statCacheFile
			if err := json.Unmarshal(tt.body, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func BenchmarkDecodeStatCache(b *testing.B) {
	f := statCacheFile{Version: 1, Files: map[string]statEntry{}}
	for i := range 300 {
		d := DigestOf([]byte{byte(i), byte(i >> 8)})
		f.Files["/tmp/proj/.sptflow/objects/"+d.String()[:2]+"/"+d.String()] = statEntry{fileSig{Size: int64(i), Mtime: 1796417340467569051, Ino: 10002886, Ctime: 1796417340479569052}, d}
	}
	body, _ := json.Marshal(f)
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			decodeStatCache(body)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			var g statCacheFile
			json.Unmarshal(body, &g)
		}
	})
}
