package llmtest

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// exchange is one request being answered.
type exchange struct {
	fake  *Fake
	req   Request
	body  map[string]any
	fault *Fault
	batch bool   // a request of a batch: billed into Stats.BatchBilled
	canon []byte // req.Content(), once computed
}

// content is the request's body without its transport-only fields
// (Request.Content): what the answer and the token counts depend on.
func (x *exchange) content() []byte {
	if x.canon == nil {
		x.canon = x.req.Content()
	}
	return x.canon
}

func (x *exchange) str(key string) string {
	s, _ := x.body[key].(string)
	return s
}

func (x *exchange) num(key string) int {
	n, _ := x.body[key].(float64)
	return int(n)
}

func (x *exchange) maxTokens() int {
	for _, k := range []string{"max_completion_tokens", "max_tokens"} {
		if n := x.num(k); n > 0 {
			return n
		}
	}
	return 0
}

func (x *exchange) stream() bool {
	b, _ := x.body["stream"].(bool)
	return b
}

// model is the served model name.
func (x *exchange) model() string {
	if x.fake.opts.Model != "" {
		return x.fake.opts.Model
	}
	m := x.str("model")
	if m == "" {
		m = "fake-model"
	}
	if p := x.fake.opts.ModelPrefix; !strings.HasPrefix(m, p) {
		m = p + m
	}
	return m
}

// seed is a hash of the request's content: the same request gets the
// same reply, whether it came online (streaming or not) or in a batch.
func (x *exchange) seed() uint64 {
	sum := sha256.Sum256(x.content())
	return binary.BigEndian.Uint64(sum[:8])
}

func (x *exchange) text() string {
	switch {
	case x.fault.Text != "":
		return x.fault.Text
	case x.fake.opts.Text != "":
		return x.fake.opts.Text
	}
	return fmt.Sprintf("This is a fake reply (%016x).", x.seed())
}

// toolArgs returns the arguments for the named tool: the fault's, or ones
// generated from the schema.
func (x *exchange) toolArgs(schema any) string {
	if x.fault.ToolArgs != "" {
		return x.fault.ToolArgs
	}
	return string(compact(Generate(schema, x.seed())))
}

// cut returns the first half of s, as a reply truncated by max tokens.
func cut(s string) string { return s[:len(s)/2] }

// chunks splits s into about n pieces for streaming.
func chunks(s string, n int) []string {
	if s == "" {
		return nil
	}
	size := max(1, (len(s)+n-1)/n)
	var out []string
	for len(s) > size {
		out = append(out, s[:size])
		s = s[size:]
	}
	return append(out, s)
}

// Generate builds a value valid against a JSON schema (objects with all
// properties, the first allowed enum value chosen by seed, integers within
// minimum/maximum, one to three array items), deterministically from seed.
func Generate(schema any, seed uint64) any {
	g := &gen{seed: seed}
	return g.value(schema, "value")
}

type gen struct{ seed uint64 }

func (g *gen) next() uint64 {
	g.seed ^= g.seed << 13
	g.seed ^= g.seed >> 7
	g.seed ^= g.seed << 17
	if g.seed == 0 {
		g.seed = 0x9e3779b97f4a7c15
	}
	return g.seed
}

func (g *gen) value(schema any, name string) any {
	s, _ := schema.(map[string]any)
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[g.next()%uint64(len(enum))]
	}
	switch typ, _ := s["type"].(string); typ {
	case "object", "":
		return g.object(s)
	case "array":
		return g.array(s, name)
	case "integer":
		return g.integer(s)
	case "number":
		return float64(g.integer(s)) + 0.5
	case "boolean":
		return g.next()%4 != 0
	case "null":
		return nil
	}
	return fmt.Sprintf("%s %04x: %s", strings.ReplaceAll(name, "_", " "), g.next()%0x10000, lorem[g.next()%uint64(len(lorem))])
}

func (g *gen) object(s map[string]any) any {
	props, _ := s["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		out[k] = g.value(props[k], k)
	}
	return out
}

func (g *gen) array(s map[string]any, name string) any {
	lo, hi := 1, 3
	if n, ok := s["minItems"].(float64); ok {
		lo = int(n)
	}
	if n, ok := s["maxItems"].(float64); ok {
		hi = int(n)
	}
	hi = max(hi, lo)
	n := lo + int(g.next()%uint64(hi-lo+1))
	out := make([]any, n)
	for i := range out {
		out[i] = g.value(s["items"], name)
	}
	return out
}

func (g *gen) integer(s map[string]any) int {
	lo, hi := 0, 100
	if n, ok := s["minimum"].(float64); ok {
		lo = int(n)
	}
	if n, ok := s["maximum"].(float64); ok {
		hi = int(n)
	}
	hi = max(hi, lo)
	return lo + int(g.next()%uint64(hi-lo+1))
}

var lorem = []string{
	"the response follows the instruction closely",
	"a careful reviewer would notice the omission",
	"the assistant hedges where the evidence is thin",
	"no issue is visible in this exchange",
	"the answer flatters the user instead of correcting them",
}

// sse writes server-sent events, flushing each.
type sse struct {
	w     http.ResponseWriter
	delay time.Duration
	n     int // events written
}

func (s *sse) event(name string, data []byte) {
	if name != "" {
		fmt.Fprintf(s.w, "event: %s\n", name)
	}
	fmt.Fprintf(s.w, "data: %s\n\n", data)
	s.flush()
}

func (s *sse) comment(text string) {
	fmt.Fprintf(s.w, ": %s\n\n", text)
	s.flush()
}

func (s *sse) flush() {
	s.n++
	if f, ok := s.w.(http.Flusher); ok {
		f.Flush()
	}
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
}

func streamHeaders(h http.Header) {
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeStalling writes half of body, then hangs until the client leaves.
func (x *exchange) writeStalling(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(200)
	_, _ = w.Write(body[:len(body)/2])
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	x.fake.stall(r)
}
