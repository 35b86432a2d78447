package main

import (
	"testing"

	"github.com/sptflow/sptflow/llm/llmtest"
)

func TestParse(t *testing.T) {
	if _, err := parse([]string{"-provider", "gemini"}); err == nil {
		t.Error("unknown provider accepted")
	}
	f, err := parse([]string{"-provider", "anthropic", "-rpm", "600", "-rate-429", "0.5", "-seed", "7"})
	if err != nil {
		t.Fatal(err)
	}
	if f.opts.RPM != 600 {
		t.Errorf("rpm %d, want 600", f.opts.RPM)
	}
	n := 0
	for range 1000 {
		if f.opts.Script(llmtest.Request{}).Status == 429 {
			n++
		}
	}
	if n < 430 || n > 570 {
		t.Errorf("%d of 1000 requests got 429, want about half", n)
	}
}
