package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/pipeline"
)

// TestConfigErrors: the problems of the file and of the engine print each
// line once, in position order, and stay typed for the command's exit code.
func TestConfigErrors(t *testing.T) {
	perr := &pipeline.Error{Problems: []pipeline.Problem{
		{Pos: pipeline.Pos{File: "p.yaml", Line: 7, Col: 3}, Msg: `model "m": x: unknown field`},
		{Pos: pipeline.Pos{File: "p.yaml", Line: 20, Col: 1}, Msg: "b"},
	}}
	eerr := &engine.InvalidError{Err: errors.Join(
		fmt.Errorf(`p.yaml:7:3: model "m": x: unknown field`), // the same problem, found again
		fmt.Errorf("p.yaml:10:5: node: with.k: unknown parameter"),
		fmt.Errorf("no position"))}
	err := configErrors(perr, eerr)
	want := "p.yaml:7:3: model \"m\": x: unknown field\np.yaml:10:5: node: with.k: unknown parameter\np.yaml:20:1: b\nno position"
	if err.Error() != want {
		t.Errorf("got:\n%s\nwant:\n%s", err, want)
	}
	var pe *pipeline.Error
	var ee *engine.InvalidError
	if !errors.As(err, &pe) || !errors.As(err, &ee) {
		t.Errorf("errors.As: pipeline.Error %v, engine.InvalidError %v; want both", pe != nil, ee != nil)
	}
	if got := exitCode(err); got != exitUsage {
		t.Errorf("exit code: got %d, want %d", got, exitUsage)
	}
}
