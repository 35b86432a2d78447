package llm

import (
	"context"
	"errors"
)

// sendHookKey is the context key of the hook a Client installs around one
// provider call.
type sendHookKey struct{}

// withSendHook returns a context under which every HTTP request a provider
// sends is reported to fn before it goes out.
func withSendHook(ctx context.Context, fn func()) context.Context {
	return context.WithValue(ctx, sendHookKey{}, fn)
}

// NoteSend reports that one HTTP request of the call running under ctx is
// about to be sent; the HTTP stack under every network provider calls it
// once per attempt, retries included (llm/transport does). The client
// counts these, so totals and the spend ledger say how many requests the
// provider received and may bill, not how many logical calls were made.
func NoteSend(ctx context.Context) {
	if fn, ok := ctx.Value(sendHookKey{}).(func()); ok {
		fn()
	}
}

// unsentCounts reports whether a provider call that reported no HTTP request
// (NoteSend) still counts as one request: local providers (sim) and test
// doubles send none, yet each call is one; a call refused before it could
// be sent (cancelled, or an invalid request caught locally) is none.
func unsentCounts(err error) bool {
	if err == nil {
		return true
	}
	if isCtxErr(err) {
		return false
	}
	e, ok := errors.AsType[*Error](err)
	return !ok || e.Kind != KindInvalidRequest || e.Status != 0
}
