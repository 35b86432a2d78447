package anthropic

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/transport"
)

// block is one content block; for tool_use, Input holds the raw JSON (as
// accumulated from input_json_delta when streaming).
type block struct {
	Type     string          `json:"type"`
	Text     string          `json:"text"`
	Thinking string          `json:"thinking"`
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Input    json.RawMessage `json:"input"`
	partial  strings.Builder
}

type usage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
}

// message is a Messages API response, as JSON or assembled from a stream.
type message struct {
	Model      string   `json:"model"`
	Content    []*block `json:"content"`
	StopReason string   `json:"stop_reason"`
	Usage      usage    `json:"usage"`
}

func readJSON(r io.Reader) (*message, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var m message
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &llm.Error{Kind: llm.KindServer, Status: 200, Message: "response body is not valid JSON", Err: err}
	}
	return &m, nil
}

// streamEvent is the union of the SSE event payloads used here.
type streamEvent struct {
	Type         string          `json:"type"`
	Message      *message        `json:"message"`
	Index        int             `json:"index"`
	ContentBlock *block          `json:"content_block"`
	Delta        json.RawMessage `json:"delta"`
	Usage        *usage          `json:"usage"`
}

type delta struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	PartialJSON string `json:"partial_json"`
	Thinking    string `json:"thinking"`
	StopReason  string `json:"stop_reason"`
}

// readStream assembles a message from SSE events. An error event becomes
// its typed *llm.Error; a stream that ends before message_stop is a
// network error.
func readStream(r io.Reader) (*message, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var m *message
	var data bytes.Buffer
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			data.Write(bytes.TrimPrefix(v, []byte(" ")))
			continue
		}
		if len(line) != 0 || data.Len() == 0 {
			continue // event:, comments, or a blank line without data
		}
		done, err := apply(&m, data.Bytes())
		data.Reset()
		if err != nil || done {
			return m, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, &llm.Error{Kind: llm.KindNetwork, Status: 200, Message: "stream ended before message_stop"}
}

// apply folds one event into m and reports whether the message is
// complete.
func apply(m **message, data []byte) (bool, error) {
	var ev streamEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return false, &llm.Error{Kind: llm.KindServer, Status: 200, Message: "stream event is not valid JSON", Err: err}
	}
	if ev.Type == "error" {
		info, _ := transport.ParseError(data)
		return false, transport.ClassifyBody(info)
	}
	if ev.Type == "message_start" && ev.Message != nil {
		*m = ev.Message
		return false, nil
	}
	if *m == nil {
		return false, &llm.Error{Kind: llm.KindServer, Status: 200, Message: fmt.Sprintf("stream event %q before message_start", ev.Type)}
	}
	return applyTo(*m, &ev)
}

func applyTo(m *message, ev *streamEvent) (bool, error) {
	switch ev.Type {
	case "content_block_start":
		if ev.ContentBlock == nil || ev.Index != len(m.Content) {
			return false, &llm.Error{Kind: llm.KindServer, Status: 200, Message: "content blocks out of order"}
		}
		m.Content = append(m.Content, ev.ContentBlock)
	case "content_block_delta":
		if ev.Index < 0 || ev.Index >= len(m.Content) {
			return false, &llm.Error{Kind: llm.KindServer, Status: 200, Message: "delta for an unknown content block"}
		}
		var d delta
		_ = json.Unmarshal(ev.Delta, &d)
		b := m.Content[ev.Index]
		b.Text += d.Text
		b.Thinking += d.Thinking
		b.partial.WriteString(d.PartialJSON)
	case "content_block_stop":
		if ev.Index >= 0 && ev.Index < len(m.Content) && m.Content[ev.Index].Type == "tool_use" {
			m.Content[ev.Index].finishInput()
		}
	case "message_delta":
		var d delta
		_ = json.Unmarshal(ev.Delta, &d)
		m.StopReason = d.StopReason
		if ev.Usage != nil {
			m.Usage.OutputTokens = ev.Usage.OutputTokens
			m.Usage.InputTokens = max(m.Usage.InputTokens, ev.Usage.InputTokens)
		}
	case "message_stop":
		for _, b := range m.Content {
			if b.Type == "tool_use" && b.partial.Len() > 0 {
				b.finishInput()
			}
		}
		return true, nil
	}
	return false, nil
}

// finishInput sets Input from the accumulated partial JSON (an input with
// no deltas is the empty object, as the API documents).
func (b *block) finishInput() {
	if b.partial.Len() == 0 {
		if len(b.Input) == 0 {
			b.Input = json.RawMessage("{}")
		}
		return
	}
	b.Input = json.RawMessage(b.partial.String())
	b.partial.Reset()
}

func (m *message) response() *llm.Response {
	resp := &llm.Response{Model: m.Model, StopReason: stopReason(m.StopReason), Usage: llm.Usage{
		InputTokens: m.Usage.InputTokens, OutputTokens: m.Usage.OutputTokens,
		CacheReadTokens: m.Usage.CacheReadInputTokens, CacheWriteTokens: m.Usage.CacheCreationInputTokens,
	}}
	for _, b := range m.Content {
		switch b.Type {
		case "text":
			resp.Text += b.Text
		case "thinking":
			resp.Reasoning += b.Thinking
		case "tool_use":
			resp.ToolCalls = append(resp.ToolCalls, llm.ToolCall{ID: b.ID, Name: b.Name, Arguments: b.Input})
		}
	}
	return resp
}

func stopReason(s string) llm.StopReason {
	switch s {
	case "end_turn", "pause_turn":
		return llm.StopEnd
	case "max_tokens", "model_context_window_exceeded":
		return llm.StopMaxTokens
	case "tool_use":
		return llm.StopToolUse
	case "stop_sequence":
		return llm.StopSequence
	case "refusal":
		return llm.StopRefusal
	}
	return llm.StopOther
}

// check classifies a 200 that cannot be used.
func check(req *llm.Request, m *message, resp *llm.Response) error {
	fail := func(kind llm.ErrorKind, format string, args ...any) error {
		return &llm.Error{Kind: kind, Status: 200, Message: fmt.Sprintf(format, args...)}
	}
	truncated := resp.StopReason == llm.StopMaxTokens
	switch {
	case resp.StopReason == llm.StopRefusal:
		return fail(llm.KindRefusal, "the model refused (stop_reason refusal)")
	case truncated && len(resp.ToolCalls) > 0:
		return fail(llm.KindTruncated, "max_tokens reached inside the input of %s", resp.ToolCalls[0].Name)
	}
	for _, tc := range resp.ToolCalls {
		if !json.Valid(tc.Arguments) {
			return fail(llm.KindMalformedArguments, "input of %s is not valid JSON", tc.Name)
		}
	}
	switch {
	case req.ForceTool != "" && resp.Tool(req.ForceTool) == nil && truncated:
		return fail(llm.KindTruncated, "max_tokens reached before the call of %s", req.ForceTool)
	case req.ForceTool != "" && resp.Tool(req.ForceTool) == nil:
		return fail(llm.KindEmpty, "no call of the forced tool %s", req.ForceTool)
	case resp.Text == "" && len(resp.ToolCalls) == 0:
		return fail(llm.KindEmpty, "no text and no tool call")
	}
	return nil
}
