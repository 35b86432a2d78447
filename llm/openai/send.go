package openai

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// exchange is the go-openai HTTPClient (any Doer) of one call: go-openai
// builds the request and decodes the response; the exchange merges the
// call's extra body fields into the JSON go-openai marshalled, adds the
// configured headers, sends the request over the retrying stack of
// llm/transport, and keeps the body of a successful response for the
// fields go-openai's response type does not model (usage.cost,
// message.reasoning, an error object inside a 200). A go-openai Client is
// a small value, so each call gets its own over its own exchange, and no
// per-call state travels in the context.
type exchange struct {
	client  *http.Client
	headers map[string]string
	extra   map[string]any

	sent bool   // the request went out (false: go-openai refused it first)
	body []byte // the 2xx response body, whole
}

func (x *exchange) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		if err := mergeBody(r, x.extra); err != nil {
			return nil, err
		}
	}
	for k, v := range x.headers {
		r.Header.Set(k, v)
	}
	x.sent = true
	resp, err := x.client.Do(r)
	if err != nil || resp.StatusCode >= 400 {
		// Failures go to go-openai as they came: it decodes the error
		// body into *openai.APIError or *openai.RequestError.
		return resp, err
	}
	if resp.StatusCode >= 300 || resp.StatusCode < 200 {
		// go-openai would decode these as a success (redirects are
		// followed below, so this is a 304 or a 3xx without Location).
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		return nil, &statusError{status: resp.StatusCode, header: resp.Header, body: body}
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	x.body = body
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// mergeBody merges fields into the request's JSON object body, top-level
// members sorted by key, so the bytes sent are deterministic.
func mergeBody(r *http.Request, fields map[string]any) error {
	raw, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	out, err := mergeObject(raw, fields)
	if err != nil {
		return fmt.Errorf("merge extra body fields: %w", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(out))
	r.ContentLength = int64(len(out))
	r.Header.Set("Content-Length", strconv.Itoa(len(out)))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(out)), nil }
	return nil
}

// statusError is a response that is neither a success nor an error status
// for go-openai; Provider.Call classifies it like an error status.
type statusError struct {
	status int
	header http.Header
	body   []byte
}

func (e *statusError) Error() string { return fmt.Sprintf("unexpected status %d", e.status) }
