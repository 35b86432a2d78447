package llmtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// answer is what a client keeps of a reply: its text and token counts
// (input counting cache writes and reads).
type answer struct {
	Text    string
	In, Out int
}

// The same request as an online call sends it (streaming, with the
// transport-only fields in the middle, as a client merging extra fields
// into sorted keys sends them) and as a batch carries it (without them).
const (
	anthropicOnline = `{"max_tokens":500,"messages":[{"role":"user","content":"hi"}],"model":"claude-x","stream":true,` +
		`"system":[{"type":"text","text":"be good","cache_control":{"type":"ephemeral"}}],"temperature":0}`
	anthropicBatched = `{"max_tokens":500,"messages":[{"role":"user","content":"hi"}],"model":"claude-x",` +
		`"system":[{"type":"text","text":"be good","cache_control":{"type":"ephemeral"}}],"temperature":0}`
	openaiOnline = `{"model":"gpt-x","messages":[{"role":"system","content":"be good"},{"role":"user","content":"hi"}],` +
		`"max_completion_tokens":100,"stream":true,"stream_options":{"include_usage":true},"temperature":0}`
	openaiBatched = `{"model":"gpt-x","messages":[{"role":"system","content":"be good"},{"role":"user","content":"hi"}],` +
		`"max_completion_tokens":100,"temperature":0}`
)

func TestContent(t *testing.T) {
	tests := []struct{ body, want string }{
		{anthropicOnline, anthropicBatched},
		{anthropicBatched, anthropicBatched},
		{openaiOnline, openaiBatched},
		{`{"stream":false,"model":"m"}`, `{"model":"m"}`},
		{`{ "model": "m",  "stream": true }`, `{"model": "m"}`},
		{`{"model":"m","metadata":{"user_id":"u"},"user":"u","store":true,"service_tier":"auto"}`, `{"model":"m"}`},
		{`{"messages":[{"content":"stream","stream":true}]}`, `{"messages":[{"content":"stream","stream":true}]}`},
		{`not json`, `not json`},
		{`[1,2]`, `[1,2]`},
	}
	for _, tt := range tests {
		if got := string((Request{Body: []byte(tt.body)}).Content()); got != tt.want {
			t.Errorf("Content(%s):\ngot:  %s\nwant: %s", tt.body, got, tt.want)
		}
	}
}

// TestAnthropicOnlineAndBatchAgree: a request streamed online and the
// same request answered in a Message Batch get the same reply and the
// same token counts.
func TestAnthropicOnlineAndBatchAgree(t *testing.T) {
	srv := NewAnthropic(Options{})
	defer srv.Close()
	online := anthropicStreamed(t, srv.URL)
	batched := anthropicBatch(t, srv.URL, anthropicBatched)
	if online != batched {
		t.Errorf("online and batched answers differ:\nonline:  %+v\nbatched: %+v", online, batched)
	}
}

// TestOpenAIOnlineAndBatchAgree: the same for a chat request streamed
// online and answered by the Batch API.
func TestOpenAIOnlineAndBatchAgree(t *testing.T) {
	srv := NewOpenAI(Options{})
	defer srv.Close()
	online := openaiStreamed(t, srv.URL)
	batched := openaiBatch(t, srv.URL, openaiBatched)
	if online != batched {
		t.Errorf("online and batched answers differ:\nonline:  %+v\nbatched: %+v", online, batched)
	}
}

type anthropicUsageJSON struct {
	In    int `json:"input_tokens"`
	Write int `json:"cache_creation_input_tokens"`
	Read  int `json:"cache_read_input_tokens"`
	Out   int `json:"output_tokens"`
}

func anthropicStreamed(t *testing.T, url string) answer {
	t.Helper()
	_, b := post(t, url+"/messages", anthropicOnline)
	_, data := readSSE(b)
	var a answer
	for _, d := range data {
		var e struct {
			Type    string
			Message struct{ Usage anthropicUsageJSON }
			Delta   struct{ Text string }
			Usage   anthropicUsageJSON
		}
		if err := json.Unmarshal([]byte(d), &e); err != nil {
			t.Fatalf("event %s: %v", d, err)
		}
		switch e.Type {
		case "message_start":
			u := e.Message.Usage
			a.In = u.In + u.Write + u.Read
		case "content_block_delta":
			a.Text += e.Delta.Text
		case "message_delta":
			a.Out = e.Usage.Out
		}
	}
	return a
}

func anthropicBatch(t *testing.T, url, params string) answer {
	t.Helper()
	c := oaClient{t, url}
	code, b := c.do(http.MethodPost, "/messages/batches", "application/json",
		[]byte(`{"requests":[{"custom_id":"k1","params":`+params+`}]}`))
	var created struct{ ID string }
	if code != 200 || json.Unmarshal(b, &created) != nil {
		t.Fatalf("create: %d %s", code, b)
	}
	c.do(http.MethodGet, "/messages/batches/"+created.ID, "", nil) // ends it
	code, b = c.do(http.MethodGet, "/messages/batches/"+created.ID+"/results", "", nil)
	var line struct {
		Result struct {
			Type    string
			Message struct {
				Content []struct{ Text string }
				Usage   anthropicUsageJSON
			}
		}
	}
	if code != 200 || json.Unmarshal(b, &line) != nil || line.Result.Type != "succeeded" || len(line.Result.Message.Content) != 1 {
		t.Fatalf("results: %d %s", code, b)
	}
	m := line.Result.Message
	return answer{Text: m.Content[0].Text, In: m.Usage.In + m.Usage.Write + m.Usage.Read, Out: m.Usage.Out}
}

type openaiUsageJSON struct {
	In  int `json:"prompt_tokens"`
	Out int `json:"completion_tokens"`
}

func openaiStreamed(t *testing.T, url string) answer {
	t.Helper()
	_, b := post(t, url+"/chat/completions", openaiOnline)
	_, data := readSSE(b)
	var a answer
	for _, d := range data {
		if d == "[DONE]" {
			break
		}
		var c struct {
			Choices []struct{ Delta struct{ Content string } }
			Usage   *openaiUsageJSON
		}
		if err := json.Unmarshal([]byte(d), &c); err != nil {
			t.Fatalf("chunk %s: %v", d, err)
		}
		for _, ch := range c.Choices {
			a.Text += ch.Delta.Content
		}
		if c.Usage != nil {
			a.In, a.Out = c.Usage.In, c.Usage.Out
		}
	}
	return a
}

func openaiBatch(t *testing.T, url, body string) answer {
	t.Helper()
	c := oaClient{t, url}
	b := c.create(c.upload(`{"custom_id":"k1","method":"POST","url":"/v1/chat/completions","body":` + body + `}`))
	for range 5 {
		if b = c.get(b.ID); b.Status == "completed" {
			break
		}
	}
	if b.OutputFileID == nil {
		t.Fatalf("batch %+v: want completed with an output file", b)
	}
	code, raw := c.do(http.MethodGet, "/files/"+*b.OutputFileID+"/content", "", nil)
	var line struct {
		Response struct {
			StatusCode int `json:"status_code"`
			Body       struct {
				Choices []struct{ Message struct{ Content string } }
				Usage   openaiUsageJSON
			}
		}
	}
	if code != 200 || json.Unmarshal([]byte(strings.TrimSpace(string(raw))), &line) != nil ||
		line.Response.StatusCode != 200 || len(line.Response.Body.Choices) != 1 {
		t.Fatalf("output file: %d %s", code, raw)
	}
	rb := line.Response.Body
	return answer{Text: rb.Choices[0].Message.Content, In: rb.Usage.In, Out: rb.Usage.Out}
}
