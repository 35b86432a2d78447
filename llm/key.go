package llm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// RequestKeySchema versions the canonical request description. Bump it when
// the description changes meaning, so old records are never misread.
const RequestKeySchema = "sptflow/llm-request/v1"

// RequestKey identifies one LLM request's content (see KeyOf).
type RequestKey [32]byte

// String returns the key in lowercase hex.
func (k RequestKey) String() string { return hex.EncodeToString(k[:]) }

// Short returns the first 12 hex digits, for logs.
func (k RequestKey) Short() string { return k.String()[:12] }

// KeyComponent is one named part of a request key, as hashed.
type KeyComponent struct {
	Name  string
	Value string
}

// KeyOf returns the request key of req sent to the model of spec, and the
// components it hashes. The spec is applied first (ModelSpec.Apply), so a
// request that leaves sampling to the model entry and one that spells it out
// have the same key. The key covers the provider kind, model id, system
// prompt, messages, tools, forced tool, output schema, sampling parameters,
// token limit (and its parameter name), thinking, extra body fields, the
// replica index and RequestKeySchema, and for the sim provider the options
// that change a stored response (simComponent). Never in it: API keys, base URLs,
// budgets, retry or timeout settings, concurrency.
func KeyOf(req *Request, spec *ModelSpec) (RequestKey, []KeyComponent) {
	r := spec.Apply(req)
	comps := []KeyComponent{
		{"schema", RequestKeySchema},
		{"provider", spec.Provider},
		{"model", r.Model},
		{"system", r.System},
		{"messages", canonMessages(r.Messages)},
		{"tools", canonTools(r.Tools)},
		{"force_tool", r.ForceTool},
		{"json_schema", canonRaw(r.JSONSchema)},
		{"temperature", optFloat(r.Temperature)},
		{"top_p", optFloat(r.TopP)},
		{"top_k", optInt(r.TopK)},
		{"max_tokens", strconv.Itoa(r.MaxTokens)},
		{"token_param", spec.TokenParam},
		{"thinking", thinkingString(r.Thinking)},
		{"extra", canonExtra(r.Extra)},
		{"replica", strconv.Itoa(r.Replica)},
	}
	if c, ok := simComponent(spec); ok {
		comps = append(comps, c)
	}
	return hashComponents(comps), comps
}

// simComponent is the part of a sim model's options that changes what a
// stored response says: the review rejection rate decides the verdicts of
// simulated reviews, so two experiments that differ in it must not share
// responses. Other sim options (latency, failure and truncation rates)
// change only how a call fails, and failures are never stored. Real
// providers, and sim models with the default rate, have no such component,
// so their keys are as before.
func simComponent(spec *ModelSpec) (KeyComponent, bool) {
	if spec.Provider != ProviderSim || spec.Sim.ReviewRejectionRate == 0 {
		return KeyComponent{}, false
	}
	return KeyComponent{"sim.review_rejection_rate", strconv.FormatFloat(spec.Sim.ReviewRejectionRate, 'g', -1, 64)}, true
}

func hashComponents(comps []KeyComponent) RequestKey {
	h := sha256.New()
	var n [8]byte
	for _, c := range comps {
		for _, s := range []string{c.Name, c.Value} {
			binary.BigEndian.PutUint64(n[:], uint64(len(s)))
			h.Write(n[:])
			io.WriteString(h, s)
		}
	}
	var k RequestKey
	h.Sum(k[:0])
	return k
}

// WriteKeyDebug prints every component of key, one per line, in the style of
// GODEBUG=gocachehash=1 (SPTFLOW_DEBUG=requestkey).
func WriteKeyDebug(w io.Writer, key RequestKey, comps []KeyComponent) {
	var b bytes.Buffer
	for _, c := range comps {
		fmt.Fprintf(&b, "requestkey %s %s: %s\n", key.Short(), c.Name, strconv.Quote(c.Value))
	}
	fmt.Fprintf(&b, "requestkey %s = %s\n", key.Short(), key)
	w.Write(b.Bytes())
}

func optFloat(f *float64) string {
	if f == nil {
		return "unset"
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}

func optInt(i *int) string {
	if i == nil {
		return "unset"
	}
	return strconv.Itoa(*i)
}

func thinkingString(t *Thinking) string {
	if t == nil || t.BudgetTokens <= 0 {
		return "off"
	}
	return strconv.Itoa(t.BudgetTokens)
}

func canonMessages(ms []Message) string {
	if len(ms) == 0 {
		return "[]"
	}
	return canonJSON(ms)
}

func canonExtra(m map[string]any) string {
	if len(m) == 0 {
		return "{}"
	}
	return canonJSON(m)
}

func canonTools(tools []Tool) string {
	if len(tools) == 0 {
		return "[]"
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, t := range tools {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":%s,"description":%s,"input_schema":%s}`,
			canonJSON(t.Name), canonJSON(t.Description), canonRaw(t.InputSchema))
	}
	b.WriteByte(']')
	return b.String()
}

// canonRaw re-encodes raw JSON with sorted keys and no insignificant
// whitespace, keeping numbers exactly as written. Invalid JSON is kept
// verbatim (it still changes the key).
func canonRaw(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return ""
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "invalid:" + string(raw)
	}
	return canonJSON(v)
}

// canonJSON encodes v with encoding/json, which sorts map keys.
func canonJSON(v any) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return fmt.Sprintf("unencodable:%v", err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
