package pipeline

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is wrapped by every error Load returns: the pipeline file (or an
// option) is invalid. The command maps it to exit status 2.
var ErrInvalid = errors.New("invalid pipeline")

// Pos is a position in a pipeline file. Line and Col are 1-based; zero means
// unknown. File is the path as the user gave it (bases of `extends` are
// joined to the directory of the file that extends them).
type Pos struct {
	File      string
	Line, Col int
}

// String formats the position as "file:line:col", dropping unknown parts.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Problem is one thing wrong with a pipeline.
type Problem struct {
	Pos Pos
	Msg string
}

// String formats the problem as "file:line:col: message"; problems without a
// file (a bad --set) are formatted as the message alone.
func (p Problem) String() string {
	if p.Pos.File == "" {
		return p.Msg
	}
	return p.Pos.String() + ": " + p.Msg
}

// Error lists every problem Load found, sorted by file, line and column, one
// per line. It wraps ErrInvalid.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns ErrInvalid, so errors.Is(err, ErrInvalid) holds.
func (e *Error) Unwrap() error { return ErrInvalid }

// problems collects Problems, dropping exact duplicates (a bad value in a
// node's `with` is seen once per partition but reported once).
type problems struct {
	list []Problem
	seen map[Problem]bool
}

func (ps *problems) add(pos Pos, format string, args ...any) {
	p := Problem{Pos: pos, Msg: fmt.Sprintf(format, args...)}
	if ps.seen == nil {
		ps.seen = map[Problem]bool{}
	}
	if ps.seen[p] {
		return
	}
	ps.seen[p] = true
	ps.list = append(ps.list, p)
}

func (ps *problems) empty() bool { return len(ps.list) == 0 }

// err returns the sorted problems as an *Error, or nil when there are none.
func (ps *problems) err() error {
	if ps.empty() {
		return nil
	}
	list := append([]Problem(nil), ps.list...)
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		return a.Msg < b.Msg
	})
	return &Error{Problems: list}
}
