package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildVersion is what `sptflow version` reports. The JSON field names are
// stable. `go build` in a git checkout records the commit (not in a git
// worktree, whose .git is a file, nor with -buildvcs=false); `go install
// module@version` records the version.
type buildVersion struct {
	Module     string `json:"module"`      // main module path
	Version    string `json:"version"`     // module version, "(devel)" for a plain build
	Commit     string `json:"commit"`      // vcs.revision, "" when the build recorded none
	CommitTime string `json:"commit_time"` // vcs.time, RFC 3339, or ""
	Modified   bool   `json:"modified"`    // vcs.modified: the work tree had changes
	Go         string `json:"go"`          // Go version that built the binary
	Platform   string `json:"platform"`    // GOOS/GOARCH
}

func cmdVersion(ctx context.Context, e *env, args []string) error {
	fs := e.bareFlagSet("version")
	asJSON := fs.Bool("json", false, "print the version as a JSON object")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: sptflow version takes no arguments, got %q", errUsage, pos)
	}
	bi, ok := debug.ReadBuildInfo()
	v := versionOf(bi, ok)
	if *asJSON {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("encode version: %w", err)
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	v.writeText(e.stdout)
	return nil
}

// versionOf reads the build information of the binary (ok false: none,
// as for a binary built without module support).
func versionOf(bi *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Module: "github.com/sptflow/sptflow", Version: "unknown",
		Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if !ok || bi == nil {
		return v
	}
	if bi.Main.Path != "" {
		v.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		v.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.CommitTime = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func (v buildVersion) writeText(w io.Writer) {
	fmt.Fprintf(w, "sptflow %s (%s)\n", v.Version, v.Module)
	commit := "unknown (built without VCS information)"
	if v.Commit != "" {
		commit = v.Commit
		if v.CommitTime != "" {
			commit += ", " + v.CommitTime
		}
		if v.Modified {
			commit += ", with uncommitted changes"
		}
	}
	fmt.Fprintf(w, "commit: %s\n", commit)
	fmt.Fprintf(w, "go: %s %s\n", v.Go, v.Platform)
}
