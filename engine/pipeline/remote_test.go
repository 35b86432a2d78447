package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rejectBad is a ValidateRemote that accepts s3:// URLs only.
func rejectBad(url string) error {
	if !strings.HasPrefix(url, "s3://") {
		return errors.New("want s3://")
	}
	return nil
}

// TestRemoteKey: `remote:` is a string checked by Options.ValidateRemote,
// reported at its value's position; it is inherited through extends.
func TestRemoteKey(t *testing.T) {
	const nodes = "nodes:\n  a: {kind: load}\n"
	tests := []struct {
		name, file string
		want       string // the error, or "" for success
		wantRemote string
		wantPos    string // file:line:col suffix
	}{
		{"none", "version: 1\nname: x\n" + nodes, "", "", ""},
		{"ok", "version: 1\nname: x\nremote: s3://team/spt\n" + nodes, "", "s3://team/spt", "p.yaml:3:9"},
		{"rejected", "version: 1\nname: x\nremote: ftp://team\n" + nodes, "p.yaml:3:9: remote: want s3://", "", ""},
		{"empty", "version: 1\nname: x\nremote: ''\n" + nodes, "p.yaml:3:9: remote: empty URL", "", ""},
		{"not a string", "version: 1\nname: x\nremote: [s3://a]\n" + nodes, "p.yaml:3:9: remote: expected a string, got a list", "", ""},
		{"inherited", "version: 1\nname: x\nextends: base.yaml\n", "", "s3://team/base", "base.yaml:2:9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			base := "version: 1\nremote: s3://team/base\nname: base\n" + nodes
			if err := os.WriteFile(filepath.Join(dir, "base.yaml"), []byte(base), 0o644); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "p.yaml")
			if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := Load(path, Options{ValidateRemote: rejectBad})
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, want an error with %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Remote != tt.wantRemote || !strings.HasSuffix(p.RemotePos, tt.wantPos) {
				t.Errorf("got remote %q at %q, want %q at …%s", p.Remote, p.RemotePos, tt.wantRemote, tt.wantPos)
			}
		})
	}
}
