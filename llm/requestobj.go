package llm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// StoredRequestSchema marks a request object (and versions its format).
const StoredRequestSchema = "sptflow/llm-request-object/v1"

// StoredRequest is the request a record's response answers, as the
// provider was given it: the request after ModelSpec.Apply and the parts
// of the model entry that decide its wire form. The request store keeps it
// under its digest (the SHA-256 of its encoding), which the records of the
// request name (Record.Request); it never holds an API key, only the name
// of the variable that holds one. The system prompt and the tools, which
// many requests share (tens of KB in stage 3), are objects of their own,
// named by SystemRef and ToolsRef (and by the records, RequestParts);
// LookupRequest puts them back into Request.
type StoredRequest struct {
	Schema     string   `json:"request_object"`
	Provider   string   `json:"provider"`
	BaseURL    string   `json:"base_url,omitempty"`
	APIKeyEnv  string   `json:"api_key_env,omitempty"`
	TokenParam string   `json:"token_param,omitempty"`
	SystemRef  string   `json:"system_ref,omitempty"`
	ToolsRef   string   `json:"tools_ref,omitempty"`
	Request    *Request `json:"request"`
}

// requestPart is a shared part of stored requests: a system prompt or a
// list of tools.
type requestPart struct {
	Part   string `json:"request_part"` // "system" | "tools"
	System string `json:"system,omitempty"`
	Tools  []Tool `json:"tools,omitempty"`
}

// requestObject is a StoredRequest or a requestPart encoded, with its
// digest.
type requestObject struct {
	digest [32]byte
	data   []byte
}

func newObject(v any) (requestObject, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return requestObject{}, fmt.Errorf("encode request: %w", err)
	}
	return requestObject{digest: sha256.Sum256(data), data: data}, nil
}

// encodeRequestObject encodes the applied request req of the model spec:
// its shared parts, then the request object naming them (last). Equal
// requests encode to the same bytes (encoding/json sorts map keys).
func encodeRequestObject(spec *ModelSpec, req *Request) ([]requestObject, error) {
	sr := StoredRequest{Schema: StoredRequestSchema, Provider: spec.Provider, BaseURL: spec.BaseURL,
		APIKeyEnv: spec.APIKeyEnv, TokenParam: spec.TokenParam}
	rest := *req
	var objs []requestObject
	if req.System != "" {
		o, err := newObject(requestPart{Part: "system", System: req.System})
		if err != nil {
			return nil, err
		}
		objs, sr.SystemRef, rest.System = append(objs, o), hex.EncodeToString(o.digest[:]), ""
	}
	if len(req.Tools) > 0 {
		o, err := newObject(requestPart{Part: "tools", Tools: req.Tools})
		if err != nil {
			return nil, err
		}
		objs, sr.ToolsRef, rest.Tools = append(objs, o), hex.EncodeToString(o.digest[:]), nil
	}
	sr.Request = &rest
	o, err := newObject(&sr)
	if err != nil {
		return nil, err
	}
	return append(objs, o), nil
}

// RequestRef reads the digest a record names ("" for records written
// before requests were stored).
func (r *Record) RequestRef() ([32]byte, bool) {
	var d [32]byte
	if len(r.Request) != 64 {
		return d, false
	}
	_, err := hex.Decode(d[:], []byte(r.Request))
	return d, err == nil
}

// LookupRequest returns the request object stored under digest, with its
// shared parts put back into its Request, and the object's own bytes. A
// missing object or part, or one whose content does not match its digest,
// is not found.
func LookupRequest(rs RecordStore, digest [32]byte) (*StoredRequest, []byte, bool) {
	data, ok := getObject(rs, digest)
	if !ok {
		return nil, nil, false
	}
	sr, ok := ParseStoredRequest(data)
	if !ok {
		return nil, nil, false
	}
	for _, ref := range []string{sr.SystemRef, sr.ToolsRef} {
		if ref == "" {
			continue
		}
		var d [32]byte
		var part requestPart
		if _, err := hex.Decode(d[:], []byte(ref)); err != nil || len(ref) != 64 {
			return nil, nil, false
		}
		b, ok := getObject(rs, d)
		if !ok || json.Unmarshal(b, &part) != nil {
			return nil, nil, false
		}
		switch part.Part {
		case "system":
			sr.Request.System = part.System
		case "tools":
			sr.Request.Tools = part.Tools
		default:
			return nil, nil, false
		}
	}
	return sr, data, true
}

func getObject(rs RecordStore, d [32]byte) ([]byte, bool) {
	data, ok, err := rs.Get(d)
	return data, err == nil && ok && sha256.Sum256(data) == d
}

// ParseStoredRequest decodes a request object (its shared parts not put
// back); ok is false when data is not one.
func ParseStoredRequest(data []byte) (*StoredRequest, bool) {
	var sr StoredRequest
	if json.Unmarshal(data, &sr) != nil || sr.Schema != StoredRequestSchema || sr.Request == nil {
		return nil, false
	}
	return &sr, true
}

// RecordLinks reads a payload of the request store for GC: a record names
// the request object it answers and its shared parts (refs); request
// objects and parts are only kept for the records that name them
// (object). Other payloads neither name nor are objects. Cost: one JSON
// decode of the payload's top-level fields.
func RecordLinks(data []byte) (refs [][32]byte, object bool) {
	var v struct {
		Schema  string          `json:"request_object"`
		Part    string          `json:"request_part"`
		Key     string          `json:"key"`
		Request json.RawMessage `json:"request"` // an object's request, a record's digest
		Parts   []string        `json:"request_parts"`
	}
	if json.Unmarshal(data, &v) != nil {
		return nil, false
	}
	if v.Schema != "" || v.Part != "" {
		return nil, true
	}
	var main string
	if v.Key == "" || json.Unmarshal(v.Request, &main) != nil {
		return nil, false
	}
	for _, s := range append([]string{main}, v.Parts...) {
		r := Record{Request: s}
		if d, ok := r.RequestRef(); ok {
			refs = append(refs, d)
		}
	}
	return refs, false
}

// RecordBatcher is a RecordStore that can make several records durable
// together, with one sync (store.RecordLog): it puts them in order and
// returns once all are durable. An entry flagged shared is content
// addressed (its key is its content's digest): the store may leave out
// one it holds where the others go (RecordLog: in the segment it appends
// to), so a system prompt shared by thousands of requests is written
// once per segment.
type RecordBatcher interface {
	PutMany(keys [][32]byte, data [][]byte, shared []bool) error
}

// putWithRequest stores the request's objects (its shared parts, then the
// request object) and then the record that names them, all durable on
// return: one PutMany on a RecordBatcher (one write, one sync; the parts
// and the object left out where the segment holds them), else Puts in
// that order, so a record never names a missing object. Objects go with
// the records that name them, so GC may drop one as soon as no record it
// keeps names it. A request that cannot be encoded leaves the record
// without it (it is stored all the same).
func (r *Runtime) putWithRequest(spec *ModelSpec, req *Request, where [32]byte, rec *Record) error {
	objs, err := encodeRequestObject(spec, req)
	if err != nil {
		r.cfg.Log.Warn().Err(err).Str("request", rec.Key).Msg("request not stored with its record")
		return putRecord(r.cfg.Records, where, rec)
	}
	main := objs[len(objs)-1]
	rec.Request = hex.EncodeToString(main.digest[:])
	keys := make([][32]byte, 0, len(objs)+1)
	data := make([][]byte, 0, len(objs)+1)
	shared := make([]bool, 0, len(objs)+1)
	for _, o := range objs {
		if o.digest != main.digest {
			rec.RequestParts = append(rec.RequestParts, hex.EncodeToString(o.digest[:]))
		}
		keys, data, shared = append(keys, o.digest), append(data, o.data), append(shared, true)
	}
	rec.Version = recordVersion
	recData, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode request record %s: %w", rec.Key, err)
	}
	keys, data, shared = append(keys, where), append(data, recData), append(shared, false)
	if b, ok := r.cfg.Records.(RecordBatcher); ok {
		err = b.PutMany(keys, data, shared)
	} else {
		for i := range keys {
			if err = r.cfg.Records.Put(keys[i], data[i]); err != nil {
				break
			}
		}
	}
	if err != nil {
		return fmt.Errorf("store request record %s: %w", rec.Key, err)
	}
	return nil
}

// put stores a batch result's record with the request it answers (the
// applied request of the custom id), or alone when it is not known.
func (x *batchRun) put(where [32]byte, id string, rec *Record) error {
	if req := x.items[id]; req != nil {
		return x.c.rt.putWithRequest(x.c.spec, req, where, rec)
	}
	return putRecord(x.c.rt.cfg.Records, where, rec)
}
