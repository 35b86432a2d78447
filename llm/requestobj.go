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
// of the variable that holds one.
type StoredRequest struct {
	Schema     string   `json:"request_object"`
	Provider   string   `json:"provider"`
	BaseURL    string   `json:"base_url,omitempty"`
	APIKeyEnv  string   `json:"api_key_env,omitempty"`
	TokenParam string   `json:"token_param,omitempty"`
	Request    *Request `json:"request"`
}

// requestObject is a StoredRequest encoded, with its digest.
type requestObject struct {
	digest [32]byte
	data   []byte
}

// encodeRequestObject encodes the applied request req of the model spec.
// Equal requests encode to the same bytes (encoding/json sorts map keys).
func encodeRequestObject(spec *ModelSpec, req *Request) (requestObject, error) {
	sr := StoredRequest{Schema: StoredRequestSchema, Provider: spec.Provider, BaseURL: spec.BaseURL,
		APIKeyEnv: spec.APIKeyEnv, TokenParam: spec.TokenParam, Request: req}
	data, err := json.Marshal(&sr)
	if err != nil {
		return requestObject{}, fmt.Errorf("encode request: %w", err)
	}
	return requestObject{digest: sha256.Sum256(data), data: data}, nil
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

// LookupRequest returns the request object stored under digest. A missing
// object, or one whose content does not match its digest, is not found.
func LookupRequest(rs RecordStore, digest [32]byte) (*StoredRequest, []byte, bool) {
	data, ok, err := rs.Get(digest)
	if err != nil || !ok || sha256.Sum256(data) != digest {
		return nil, nil, false
	}
	sr, ok := ParseStoredRequest(data)
	return sr, data, ok
}

// ParseStoredRequest decodes a request object; ok is false when data is
// not one.
func ParseStoredRequest(data []byte) (*StoredRequest, bool) {
	var sr StoredRequest
	if json.Unmarshal(data, &sr) != nil || sr.Schema != StoredRequestSchema || sr.Request == nil {
		return nil, false
	}
	return &sr, true
}

// RecordLinks reads a payload of the request store for GC: a record names
// the request object it answers (refs), a request object is only kept for
// the records that name it (object). Other payloads neither name nor are
// objects. Cost: one JSON decode of the payload's top-level fields.
func RecordLinks(data []byte) (refs [][32]byte, object bool) {
	var v struct {
		Schema  string          `json:"request_object"`
		Key     string          `json:"key"`
		Request json.RawMessage `json:"request"` // an object's request, a record's digest
	}
	if json.Unmarshal(data, &v) != nil {
		return nil, false
	}
	if v.Schema != "" {
		return nil, true
	}
	r := Record{Key: v.Key}
	if json.Unmarshal(v.Request, &r.Request) != nil {
		return nil, false
	}
	if d, ok := r.RequestRef(); ok && v.Key != "" {
		return [][32]byte{d}, false
	}
	return nil, false
}

// RecordBatcher is a RecordStore that can make several records durable
// together, with one sync (store.RecordLog): Puts them in order and
// returns once all are durable.
type RecordBatcher interface {
	PutMany(keys [][32]byte, data [][]byte) error
}

// putWithRequest stores the request object and then the record that
// names it, both durable on return: one PutMany on a RecordBatcher (one
// write, one sync), else two Puts, the object first, so a record never
// names a missing object. The object goes with every record that names
// it, so it is never older than they are and GC may drop it as soon as no
// record it keeps names it; copies of one content (a failure, then the
// success of the same request) are one object once GC compacts the log. A
// request that cannot be encoded leaves the record without it (it is
// stored all the same).
func (r *Runtime) putWithRequest(spec *ModelSpec, req *Request, where [32]byte, rec *Record) error {
	obj, err := encodeRequestObject(spec, req)
	if err != nil {
		r.cfg.Log.Warn().Err(err).Str("request", rec.Key).Msg("request not stored with its record")
		return putRecord(r.cfg.Records, where, rec)
	}
	rec.Request = hex.EncodeToString(obj.digest[:])
	rec.Version = recordVersion
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode request record %s: %w", rec.Key, err)
	}
	if b, ok := r.cfg.Records.(RecordBatcher); ok {
		err = b.PutMany([][32]byte{obj.digest, where}, [][]byte{obj.data, data})
	} else if err = r.cfg.Records.Put(obj.digest, obj.data); err == nil {
		err = r.cfg.Records.Put(where, data)
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
