package tag

import (
	"bytes"
	"io"
	"runtime"
	"strconv"

	"github.com/sptflow/sptflow/internal/ascii"
	"github.com/sptflow/sptflow/pyjson"
	jscan "github.com/sptflow/sptflow/pyjson/scan"
	"github.com/sptflow/sptflow/steps/spt"
)

// emitter writes a tagged file from its source's tokens, as
// pyjson.MarshalTo(w, doc, pyjson.Tagged) writes the tree TagFile tags. It
// checks what it copies as the decoder would (any error, and duplicate or
// escaped keys anywhere, are errFallback).
type emitter struct {
	b     []byte
	i     int
	out   []byte
	w     io.Writer
	hold  int // > 0: inside a skipped value, do not flush
	st    pyjson.StringTokens
	f     *fastFile
	first int64
	mi    int      // next model of f.models
	keys  [][]byte // keys of the objects being written, stacked
}

// Object modes: which members of an object the tagger changes.
const (
	mGeneric = iota
	mTop
	mItem
	mInferences
	mModel
	mVariant
	mInterventions
	mRecord
)

const maxFastDepth = 512 // deeper documents go to the tree path

// emit writes the tagged file to w, numbering its records from first.
func (f *fastFile) emit(w io.Writer, first int64) error {
	e := &emitter{b: f.data, out: takeOut(), w: w, f: f, first: first,
		st: pyjson.StringTokens{Opt: pyjson.Tagged}}
	defer func() { putOut(e.out) }()
	e.ws()
	if e.peek() != '{' {
		return errFallback
	}
	if err := e.object(0, mTop, nil, objCtx{}); err != nil {
		return err
	}
	e.ws()
	if e.i != len(e.b) || e.mi != len(f.models) {
		return errFallback
	}
	return e.flush()
}

const flushAt = 64 << 10

// outBufs holds the output buffers of finished files for the next ones.
var outBufs = make(chan []byte, runtime.GOMAXPROCS(0))

// takeOut returns an empty output buffer, a finished file's if there is one.
func takeOut() []byte {
	select {
	case b := <-outBufs:
		return b
	default:
		return make([]byte, 0, flushAt+flushAt/2)
	}
}

// putOut keeps b for the next file unless a long value has grown it.
func putOut(b []byte) {
	if cap(b) > 4*flushAt {
		return
	}
	select {
	case outBufs <- b[:0]:
	default:
	}
}

func (e *emitter) flush() error {
	if len(e.out) > 0 {
		if _, err := e.w.Write(e.out); err != nil {
			return err
		}
	}
	e.out = e.out[:0]
	return nil
}

func (e *emitter) maybeFlush() error {
	if e.hold == 0 && len(e.out) >= flushAt {
		return e.flush()
	}
	return nil
}

func (e *emitter) ws() {
	if e.i < len(e.b) && e.b[e.i] <= ' ' {
		e.i += jscan.SpaceLen(e.b[e.i:])
	}
}

func (e *emitter) peek() byte {
	e.ws()
	if e.i < len(e.b) {
		return e.b[e.i]
	}
	return 0
}

const spaces = "                                                                " +
	"                                                                "

func (e *emitter) newline(depth int) {
	e.out = append(e.out, '\n')
	n := 2 * depth
	for n > len(spaces) {
		e.out = append(e.out, spaces...)
		n -= len(spaces)
	}
	e.out = append(e.out, spaces[:n]...)
}

// value writes the value at the cursor.
func (e *emitter) value(depth int) error {
	switch c := e.peek(); {
	case c == '{':
		return e.object(depth, mGeneric, nil, objCtx{})
	case c == '[':
		return e.array(depth, mGeneric)
	case c == '"':
		return e.str()
	case c == '-' || c >= '0' && c <= '9':
		n, err := jscan.NumberLen(e.b[e.i:])
		if err != nil {
			return errFallback
		}
		e.out = pyjson.AppendNumberToken(e.out, e.b[e.i:e.i+n])
		e.i += n
		return nil
	}
	for _, lit := range [...]string{"true", "false", "null", "NaN", "Infinity"} {
		if bytes.HasPrefix(e.b[e.i:], []byte(lit)) {
			e.out = append(e.out, lit...)
			e.i += len(lit)
			return nil
		}
	}
	return errFallback
}

// objKey is a key the emitter has read: its string token, quotes included,
// and whether it is plain (ascii.Plain bytes only), so written as it is.
type objKey struct {
	tok   []byte
	plain bool
}

func (k objKey) name() []byte { return k.tok[1 : len(k.tok)-1] }

// key reads the key at the cursor, a string token. A plain key (the common
// case) is found in one pass. Any other is read as a string token: one
// with an escape is errFallback (the tree path decodes escaped keys), the
// rest hold a byte that is not printable ASCII, which member re-encodes.
func (e *emitter) key() (objKey, error) {
	start := e.i
	if j := start + 1 + ascii.PlainLen(e.b[start+1:]); j < len(e.b) && e.b[j] == '"' {
		e.i = j + 1
		return objKey{tok: e.b[start:e.i], plain: true}, nil
	}
	raw, err := e.rawString()
	if err != nil {
		return objKey{}, err
	}
	if bytes.IndexByte(raw[1:len(raw)-1], '\\') >= 0 {
		return objKey{}, errFallback
	}
	return objKey{tok: raw}, nil
}

// rawString returns the string token at the cursor and consumes it.
func (e *emitter) rawString() ([]byte, error) {
	start := e.i
	j := e.i + 1
	for {
		k := bytes.IndexByte(e.b[j:], '"')
		if k < 0 {
			return nil, errFallback
		}
		j += k
		bs := 0
		for p := j - 1; p > start && e.b[p] == '\\'; p-- {
			bs++
		}
		j++
		if bs%2 == 0 {
			break
		}
	}
	e.i = j
	return e.b[start:j], nil
}

// str writes the string at the cursor, reading it once (see
// pyjson.StringTokens.AppendNext).
func (e *emitter) str() error {
	out, n, err := e.st.AppendNext(e.out, e.b[e.i:])
	if err != nil {
		return errFallback
	}
	e.out = out
	e.i += n
	return nil
}

// skip checks the value at the cursor as value does and writes nothing.
func (e *emitter) skip(depth int) error {
	e.hold++
	mark := len(e.out)
	err := e.value(depth)
	e.out = e.out[:mark]
	e.hold--
	return err
}

// objCtx is what the tagger computed for the object being written.
type objCtx struct {
	m *fastModel
	v *fastVariant
	r *fastRecord
}

// member starts the n-th member written of an object at depth: the
// separator, the key and ": ".
func (e *emitter) member(n, depth int, key objKey) error {
	if n == 0 {
		e.out = append(e.out, '{')
	} else {
		e.out = append(e.out, ',')
	}
	e.newline(depth + 1)
	if key.plain {
		e.out = append(e.out, key.tok...)
	} else {
		var err error
		if e.out, err = e.st.Append(e.out, key.tok); err != nil {
			return errFallback
		}
	}
	e.out = append(e.out, ':', ' ')
	return nil
}

// object writes the object at the cursor; mode and ctx select the tagger's
// changes to its members.
func (e *emitter) object(depth, mode int, m *fastModel, ctx objCtx) error {
	if depth > maxFastDepth {
		return errFallback
	}
	e.i++ // {
	kb := len(e.keys)
	defer func() { e.keys = e.keys[:kb] }()
	var seen uint64 // keyBits of the keys so far
	n := 0
	var hasTags, hasNum, hasID bool
	rec := 0
	if e.peek() == '}' {
		e.i++
	} else {
		for {
			if e.peek() != '"' {
				return errFallback
			}
			k, err := e.key()
			if err != nil {
				return err
			}
			key := k.name()
			if repeated(e.keys[kb:], &seen, key) {
				return errFallback
			}
			e.keys = append(e.keys, key)
			if e.peek() != ':' {
				return errFallback
			}
			e.i++
			if err := e.memberValue(depth, mode, m, ctx, k, &n, &rec, &hasTags, &hasNum, &hasID); err != nil {
				return err
			}
			if err := e.maybeFlush(); err != nil {
				return err
			}
			switch e.peek() {
			case ',':
				e.i++
				continue
			case '}':
				e.i++
			default:
				return errFallback
			}
			break
		}
	}
	switch mode {
	case mVariant:
		if !hasTags {
			e.tail(&n, depth, "tags")
			e.tagList(depth+1, ctx.v.tags)
		}
	case mRecord:
		if !hasTags {
			e.tail(&n, depth, "tags")
			e.tagList(depth+1, ctx.r.tags)
		}
		if !hasNum {
			e.tail(&n, depth, "id_numeric")
			e.out = strconv.AppendInt(e.out, e.first+int64(ctx.r.seq), 10)
		}
		if !hasID {
			e.tail(&n, depth, "id_string")
			e.out = pyjson.AppendString(e.out, e.f.ids[ctx.r.seq], pyjson.Tagged)
		}
	}
	if n == 0 {
		e.out = append(e.out, '{', '}')
		return nil
	}
	e.newline(depth)
	e.out = append(e.out, '}')
	return nil
}

// tail starts a member the tagger appends.
func (e *emitter) tail(n *int, depth int, key string) {
	if *n == 0 {
		e.out = append(e.out, '{')
	} else {
		e.out = append(e.out, ',')
	}
	e.newline(depth + 1)
	e.out = append(e.out, '"')
	e.out = append(e.out, key...)
	e.out = append(e.out, '"', ':', ' ')
	*n++
}

// memberValue writes (or drops) one member whose key has been read.
func (e *emitter) memberValue(depth, mode int, m *fastModel, ctx objCtx, k objKey,
	n, rec *int, hasTags, hasNum, hasID *bool) error {
	d, key := depth+1, k.name()
	start := func() error {
		err := e.member(*n, depth, k)
		*n++
		return err
	}
	switch mode {
	case mTop:
		if string(key) == "data" && e.f.hasData && e.peek() == '[' {
			if err := start(); err != nil {
				return err
			}
			return e.array(d, mItem)
		}
	case mItem:
		if string(key) == "inferences" && e.peek() == '{' {
			if err := start(); err != nil {
				return err
			}
			return e.object(d, mInferences, nil, objCtx{})
		}
	case mInferences:
		if e.peek() != '{' || e.mi >= len(e.f.models) {
			return errFallback
		}
		fm := &e.f.models[e.mi]
		e.mi++
		if err := start(); err != nil {
			return err
		}
		return e.object(d, mModel, fm, objCtx{})
	case mModel:
		for vi, name := range spt.Variants {
			if string(key) != name {
				continue
			}
			v := m.v[vi]
			switch {
			case v == nil || e.peek() != '{':
				return errFallback
			case v.drop:
				return e.skip(d)
			}
			if err := start(); err != nil {
				return err
			}
			return e.object(d, mVariant, nil, objCtx{v: v})
		}
	case mVariant:
		switch string(key) {
		case "tags":
			*hasTags = true
			return e.replaceTags(d, start, ctx.v.tags)
		case "interventions":
			if e.peek() != '{' {
				return errFallback
			}
			if err := start(); err != nil {
				return err
			}
			return e.object(d, mInterventions, nil, ctx)
		}
	case mInterventions:
		if spt.IsBaseline(string(key)) {
			return e.skip(d)
		}
		if e.peek() != '{' || *rec >= len(ctx.v.recs) {
			return errFallback
		}
		r := ctx.v.recs[*rec]
		*rec++
		if err := start(); err != nil {
			return err
		}
		return e.object(d, mRecord, nil, objCtx{r: r})
	case mRecord:
		switch string(key) {
		case "tags":
			*hasTags = true
			return e.replaceTags(d, start, ctx.r.tags)
		case "id_numeric":
			*hasNum = true
			if err := start(); err != nil {
				return err
			}
			if err := e.skip(d); err != nil {
				return err
			}
			e.out = strconv.AppendInt(e.out, e.first+int64(ctx.r.seq), 10)
			return nil
		case "id_string":
			*hasID = true
			if err := start(); err != nil {
				return err
			}
			if err := e.skip(d); err != nil {
				return err
			}
			e.out = pyjson.AppendString(e.out, e.f.ids[ctx.r.seq], pyjson.Tagged)
			return nil
		}
	}
	if err := start(); err != nil {
		return err
	}
	return e.value(d)
}

// replaceTags writes the member's key (start), skips its value in the
// input and writes tags in its place.
func (e *emitter) replaceTags(depth int, start func() error, tags []string) error {
	if err := start(); err != nil {
		return err
	}
	if err := e.skip(depth); err != nil {
		return err
	}
	e.tagList(depth, tags)
	return nil
}

// tagList writes a tag list as the value of a member at depth-1.
func (e *emitter) tagList(depth int, tags []string) {
	if len(tags) == 0 {
		e.out = append(e.out, '[', ']')
		return
	}
	e.out = append(e.out, '[')
	for i, t := range tags {
		if i > 0 {
			e.out = append(e.out, ',')
		}
		e.newline(depth + 1)
		e.out = append(e.out, '"')
		e.out = append(e.out, t...)
		e.out = append(e.out, '"')
	}
	e.newline(depth)
	e.out = append(e.out, ']')
}

// array writes the array at the cursor; mItem: its elements are batch items.
func (e *emitter) array(depth, mode int) error {
	if depth > maxFastDepth {
		return errFallback
	}
	e.i++ // [
	if e.peek() == ']' {
		e.i++
		e.out = append(e.out, '[', ']')
		return nil
	}
	e.out = append(e.out, '[')
	for n := 0; ; n++ {
		if n > 0 {
			e.out = append(e.out, ',')
		}
		e.newline(depth + 1)
		var err error
		if mode == mItem {
			if e.peek() != '{' {
				return errFallback
			}
			err = e.object(depth+1, mItem, nil, objCtx{})
		} else {
			err = e.value(depth + 1)
		}
		if err != nil {
			return err
		}
		if err := e.maybeFlush(); err != nil {
			return err
		}
		switch e.peek() {
		case ',':
			e.i++
			continue
		case ']':
			e.i++
		default:
			return errFallback
		}
		break
	}
	e.newline(depth)
	e.out = append(e.out, ']')
	return nil
}
