//go:build !linux

package store

import "errors"

// reflink is only implemented on Linux (FICLONE); elsewhere objects are
// hard-linked or copied.
func reflink(obj, tmp string) error { return errors.ErrUnsupported }

// reflinkUnsupported: reflink is never supported here.
func reflinkUnsupported(error) bool { return true }
