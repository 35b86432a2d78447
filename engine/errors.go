package engine

import "errors"

// ErrInvalid marks configuration errors found before anything runs: an
// unknown kind, a Resolve error, a missing required input, an unknown
// target. The command maps it to exit code 2.
var ErrInvalid = errors.New("invalid pipeline configuration")

// ErrReported fails a Resolve for a problem already reported elsewhere (a
// model entry the pipeline loader found broken). Its text is empty: the
// command prints no line for it, so the problem appears once.
var ErrReported = errors.New("")

// ErrRunFailed is returned by Run when at least one partition failed or
// was skipped because an upstream failed. The command maps it to exit code 1.
var ErrRunFailed = errors.New("run failed")

// InvalidError carries one or more configuration errors; its message is
// theirs, one per line, and it matches ErrInvalid with errors.Is.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }

// Unwrap lets errors.Is find both ErrInvalid and the wrapped errors.
func (e *InvalidError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// invalid joins errs into an *InvalidError.
func invalid(errs ...error) error {
	return &InvalidError{Err: errors.Join(errs...)}
}
