package llmtest

import (
	"bytes"
	"encoding/json"
)

// transportFields are the top-level request fields that shape how a reply
// travels or is filed, not what a model answers: streaming (which a batch
// request never carries: Anthropic's batch params and OpenAI's batch lines
// hold the body without it), and the labels a provider stores, routes or
// bills by.
var transportFields = map[string]bool{
	"stream": true, "stream_options": true, // both APIs
	"metadata": true, "service_tier": true, // Anthropic and OpenAI
	"user": true, "store": true, "prompt_cache_key": true, "safety_identifier": true, // OpenAI
	"usage": true, // OpenRouter's {"include": true}
}

// Content is the request body without its transport-only top-level
// fields, the other members byte for byte in their order, joined by
// commas: what decides the fake's answer and its input-token count. The
// same request therefore gets the same reply and usage whether it went
// online, streaming or not, or inside a provider batch. Key order and the
// spacing within members still count (one client encodes a request the
// same way on every path). A body that is not a JSON object is its own
// content.
func (r Request) Content() []byte { return content(r.Body) }

func content(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return body
	}
	out := append(make([]byte, 0, len(body)), '{')
	for dec.More() {
		start := dec.InputOffset()
		key, err := dec.Token()
		var value json.RawMessage
		if err == nil {
			err = dec.Decode(&value)
		}
		if err != nil {
			return body
		}
		if k, _ := key.(string); transportFields[k] {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, bytes.TrimLeft(body[start:dec.InputOffset()], " \t\r\n,")...)
	}
	if _, err := dec.Token(); err != nil {
		return body
	}
	return append(out, '}')
}
