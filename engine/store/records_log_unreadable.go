package store

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
)

// UnreadableSegmentError is a record-log lookup that found nothing while a
// segment of the log could not be read: the record may be in it, so a miss
// cannot be told from a record out of reach. It stays so until the file is
// readable again, or is moved out of the log directory (giving up what it
// holds).
type UnreadableSegmentError struct {
	Path string // the segment
	Err  error  // why it cannot be read
}

func (e *UnreadableSegmentError) Error() string {
	return fmt.Sprintf("record-log segment %s cannot be read (%v) and may hold this record: make it readable, or move it out of %s to do without what it holds",
		e.Path, cause(e.Err), filepath.Dir(e.Path))
}

func (e *UnreadableSegmentError) Unwrap() error { return e.Err }

// unreadableLocked notes that segment name cannot be read, and warns about
// it once per process.
func (l *RecordLog) unreadableLocked(name string, err error) {
	if l.unreadable == nil {
		l.unreadable = map[string]error{}
	}
	l.unreadable[name] = err
	p := filepath.Join(l.dir, name)
	l.st.warnOnce(p, fmt.Sprintf("record log %s: segment %s cannot be read (%v): until it is readable or moved out of %s, a record not found elsewhere is an error, not a miss",
		l.ns, p, cause(err), l.dir))
}

// unreadableErr returns an *UnreadableSegmentError for each segment the
// last refresh could not read, in name order, or nil.
func (l *RecordLog) unreadableErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(l.unreadable)) {
		errs = append(errs, &UnreadableSegmentError{Path: filepath.Join(l.dir, name), Err: l.unreadable[name]})
	}
	return errors.Join(errs...)
}
