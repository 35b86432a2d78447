package main

import (
	"net/http/httptest"
	"path/filepath"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/rogpeppe/go-internal/testscript"
)

func init() { scriptCmds["fakes3"] = cmdFakeS3 }

// cmdFakeS3 starts an in-process S3-compatible server (gofakes3, which
// honours If-None-Match: * on PUT) with the bucket "team", for the rest of
// the script, and sets VAR to an s3:// store URL in it, with the AWS
// environment a client needs (dummy credentials, no profile files, no
// instance metadata): `fakes3 VAR`.
func cmdFakeS3(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: fakes3 VAR")
	}
	backend := s3mem.New()
	ts.Check(backend.CreateBucket("team"))
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	ts.Defer(srv.Close)
	dir := ts.MkAbs(".aws")
	ts.Setenv("AWS_ACCESS_KEY_ID", "test")
	ts.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	ts.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	ts.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	ts.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ts.Setenv(args[0], "s3://team/spt?region=us-east-1&use_path_style=true&endpoint="+srv.URL)
}
