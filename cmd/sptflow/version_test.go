package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	goVersion, platform := runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want buildVersion
	}{
		{"no build info", nil, false, buildVersion{Module: "github.com/sptflow/sptflow", Version: "unknown", Go: goVersion, Platform: platform}},
		{"go install module@version", &debug.BuildInfo{GoVersion: "go1.26.1",
			Main: debug.Module{Path: "github.com/sptflow/sptflow", Version: "v1.2.3"}}, true,
			buildVersion{Module: "github.com/sptflow/sptflow", Version: "v1.2.3", Go: "go1.26.1", Platform: platform}},
		{"go build in a modified checkout", &debug.BuildInfo{GoVersion: "go1.26.8",
			Main: debug.Module{Path: "github.com/sptflow/sptflow", Version: "v0.0.0-20261204184800-af4eba50ad8e+dirty"},
			Settings: []debug.BuildSetting{{Key: "-buildmode", Value: "exe"}, {Key: "vcs", Value: "git"},
				{Key: "vcs.revision", Value: "af4eba50ad8e710055421d49f10d057c67c30051"},
				{Key: "vcs.time", Value: "2026-12-04T18:48:00Z"}, {Key: "vcs.modified", Value: "true"}}}, true,
			buildVersion{Module: "github.com/sptflow/sptflow", Version: "v0.0.0-20261204184800-af4eba50ad8e+dirty",
				Commit: "af4eba50ad8e710055421d49f10d057c67c30051", CommitTime: "2026-12-04T18:48:00Z",
				Modified: true, Go: "go1.26.8", Platform: platform}},
		{"clean checkout", &debug.BuildInfo{Main: debug.Module{Path: "github.com/sptflow/sptflow", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}}, true,
			buildVersion{Module: "github.com/sptflow/sptflow", Version: "(devel)", Commit: "abc", Go: goVersion, Platform: platform}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionOf(tt.bi, tt.ok); got != tt.want {
				t.Errorf("got: %+v\nwant: %+v", got, tt.want)
			}
		})
	}
}
