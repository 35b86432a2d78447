package llm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// A canary before a batch: the first request of each new request shape is
// sent online, through the client's normal path, and its answer checked
// (CheckCanary) before a batch of that shape is submitted. A provider
// validates batched requests only when it processes them, so a request it
// would refuse costs a day without it. The canary's response is stored as
// any online response (it is not in the batch); the shape is then recorded
// in the batch ledger as proven, and later runs skip its canary.

// shapePrefix starts the ledger names of proven shapes; batch entries are
// named "<12 hex>-<16 hex>" and never start with it.
const shapePrefix = "shape-"

// requestShape is what decides whether a provider accepts a request,
// apart from its messages: the model, the tools and the forced choice,
// thinking, the output schema, the output limit and the provider body
// fields (Extra).
type requestShape struct {
	Provider   string          `json:"provider"`
	Model      string          `json:"model"`
	Tools      []Tool          `json:"tools,omitempty"`
	ForceTool  string          `json:"tool_choice,omitempty"`
	Thinking   *Thinking       `json:"thinking,omitempty"`
	JSONSchema json.RawMessage `json:"output_schema,omitempty"`
	MaxTokens  int             `json:"max_tokens"`
	Extra      map[string]any  `json:"extra,omitempty"`
}

// shapeOf returns the shape id of the applied request r sent to provider.
func shapeOf(provider string, r *Request) string {
	b, _ := json.Marshal(requestShape{Provider: provider, Model: r.Model, Tools: r.Tools, ForceTool: r.ForceTool,
		Thinking: r.Thinking, JSONSchema: r.JSONSchema, MaxTokens: r.MaxTokens, Extra: r.Extra})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

// ShapeProof is the ledger record of a proven request shape.
type ShapeProof struct {
	Shape    string    `json:"shape"`
	Model    string    `json:"model"` // model entry name
	Provider string    `json:"provider"`
	APIModel string    `json:"api_model"`
	Canary   string    `json:"canary"` // the request key of the canary
	Proven   time.Time `json:"proven"`
}

// proven returns the shapes the ledger records as proven.
func (l batchLedger) proven() (map[string]bool, error) {
	all, err := l.files.All()
	if err != nil {
		return nil, fmt.Errorf("read batch ledger: %w", err)
	}
	out := map[string]bool{}
	for name := range all {
		if s, ok := strings.CutPrefix(name, shapePrefix); ok {
			out[s] = true
		}
	}
	return out, nil
}

func (l batchLedger) prove(p *ShapeProof) error {
	data, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		return fmt.Errorf("encode shape proof %s: %w", p.Shape, err)
	}
	if err := l.files.Put(shapePrefix+p.Shape, append(data, '\n')); err != nil {
		return fmt.Errorf("write shape proof %s: %w", p.Shape, err)
	}
	return nil
}

// canaryMu serializes the canaries of a process, so partitions of one
// node that start together send one canary per shape, not one each.
var canaryMu sync.Mutex

// canaries sends the canary of each shape among pending that the ledger
// does not record as proven, and returns pending without the canaries
// (they are stored). A canary the provider refuses, or whose answer fails
// CheckCanary, is an error: no batch of its shape is submitted.
func (x *batchRun) canaries(ctx context.Context, pending []string) ([]string, error) {
	first := map[string]string{} // shape -> its first pending custom id
	var shapes []string
	for _, id := range pending {
		s := shapeOf(x.c.spec.Provider, x.items[id])
		if _, ok := first[s]; !ok {
			first[s] = id
			shapes = append(shapes, s)
		}
	}
	if len(shapes) == 0 || x.c.rt.cfg.BatchNoCanary {
		return pending, nil
	}
	canaryMu.Lock()
	defer canaryMu.Unlock()
	proven, err := x.led.proven()
	if err != nil {
		return nil, err
	}
	for _, s := range shapes {
		if proven[s] {
			continue
		}
		if err := x.canary(ctx, s, first[s]); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(pending))
	for _, id := range pending {
		if x.items[id] != nil {
			out = append(out, id)
		}
	}
	return out, nil
}

// canary sends the request id of shape online and records the shape as
// proven.
func (x *batchRun) canary(ctx context.Context, shape, id string) error {
	c, req := x.c, x.items[id]
	log := c.rt.cfg.Log.With().Str("model", c.spec.Name).Str("shape", shape).Logger()
	var paid Meter // the canary's calls, for the call of the run that gets its answer (bought.go)
	res, err := c.Do(ctx, Call{Request: req, Meter: &paid})
	if t := paid.Totals(); err == nil && t.Requests > 0 {
		c.rt.bought.add(res.Key, func(b *Totals) { b.plus(t) })
	}
	if err != nil {
		if KindOf(err) == KindInvalidRequest {
			return fmt.Errorf("%s: the provider refused the canary of a new request shape, so no batch of it was submitted: %w", c.spec.Name, err)
		}
		return fmt.Errorf("%s: canary of a new request shape: %w; no batch of it was submitted", c.spec.Name, err)
	}
	if err := CheckCanary(req, res.Response); err != nil {
		return fmt.Errorf("%s request %s: %w; no batch of this request shape was submitted", c.spec.Name, res.Key.Short(), err)
	}
	if err := x.led.prove(&ShapeProof{Shape: shape, Model: c.spec.Name, Provider: c.spec.Provider,
		APIModel: c.spec.Model, Canary: id, Proven: time.Now().UTC()}); err != nil {
		return err
	}
	if l := c.rt.ledger; l != nil {
		l.Note(ctx, Spend{Event: SpendCanary, Key: id, Model: c.spec.Name, Provider: c.spec.Provider})
	}
	delete(x.items, id)
	x.rep.Canaries++
	log.Info().Str("request", res.Key.Short()).Msg("canary answered online: request shape proven for batches")
	return nil
}
