package spt

import (
	"fmt"
	"path"
	"strings"

	"github.com/sptflow/sptflow/pyjson"
)

// ReadBatch parses a batch file and checks it against the data contract
// (CheckBatch). Its top level must be an object. A type error is a
// *pyjson.PathError; the caller names the file.
func ReadBatch(data []byte) (*pyjson.Object, error) {
	o, err := pyjson.ParseObject(data)
	if err != nil {
		return nil, fmt.Errorf("parse batch file: %w", err)
	}
	if err := CheckBatch(o); err != nil {
		return nil, err
	}
	return o, nil
}

// EncodeBatch writes a batch file as stages 1-3 do (indent 2, UTF-8, no
// trailing newline).
func EncodeBatch(file *pyjson.Object) ([]byte, error) {
	return pyjson.Marshal(file, pyjson.DataFile)
}

// EncodeTagged writes a batch file as the tagger does (indent 2, non-ASCII
// escaped as \uXXXX, no trailing newline).
func EncodeTagged(file *pyjson.Object) ([]byte, error) {
	return pyjson.Marshal(file, pyjson.Tagged)
}

// Stem returns a file name's stem as Python's Path.stem does: the base name
// without its last extension ("batch_x_001.json" → "batch_x_001").
func Stem(name string) string {
	base := path.Base(name)
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		return base[:i]
	}
	return base
}
