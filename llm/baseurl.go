package llm

import (
	"fmt"
	"net/url"
	"strings"
)

// The base_url convention of model entries, applied by the HTTP providers
// (APIBaseURL) and checked at validate time (CheckBaseURL):
//
//   - anthropic: the host root (https://api.anthropic.com, as Anthropic's
//     SDKs take it) or the same ending in /v1; the provider sends to
//     <root>/v1/messages either way.
//   - OpenAI-compatible (openai, openrouter, vllm, llamacpp, ollama): the
//     API root the SDKs take, which ends in /v1 (https://api.openai.com/v1,
//     https://openrouter.ai/api/v1, http://localhost:8000/v1); the provider
//     sends to <base>/chat/completions. Any path is kept as written, for
//     gateways that serve the API elsewhere; a bare host is refused (every
//     server these providers name serves the API under a path).
//
// A base URL that names an endpoint instead (…/v1/messages,
// …/chat/completions), repeats /v1 (…/v1/v1), or is not an absolute
// http(s) URL without query, fragment or credentials is an error that says
// what to write.

// APIBaseURL returns the URL the provider's endpoint paths are appended
// to: for anthropic the root ending in /v1, for the OpenAI-compatible
// providers the API root as written. It never has a trailing slash. raw
// must pass CheckBaseURL.
func APIBaseURL(provider, raw string) (string, error) {
	if err := CheckBaseURL(provider, raw); err != nil {
		return "", err
	}
	u, _ := url.Parse(raw)
	path := strings.TrimRight(u.Path, "/")
	if provider == ProviderAnthropic && !strings.HasSuffix(path, "/v1") {
		path += "/v1"
	}
	u.Path, u.RawPath = path, ""
	return u.String(), nil
}

// CheckBaseURL reports why raw cannot be the base_url of a model entry of
// the provider ("" or a sim entry's URL is no error: the provider's
// default applies, and sim sends nothing).
func CheckBaseURL(provider, raw string) error {
	if raw == "" || provider == ProviderSim {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("base_url %q: %w", raw, unwrapURLError(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base_url %q: want an absolute http:// or https:// URL such as %s", raw, exampleBaseURL(provider))
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("base_url %q: want no query, fragment or user info (API keys go in api_key_env)", raw)
	}
	path := strings.TrimRight(u.Path, "/")
	for _, end := range []string{"/messages", "/chat/completions", "/completions"} {
		if strings.HasSuffix(path, end) {
			return fmt.Errorf("base_url %q names an endpoint; write the API root %q (the provider appends %s)",
				raw, root(u, strings.TrimSuffix(path, end)), endpointOf(provider))
		}
	}
	if strings.HasSuffix(path, "/v1/v1") {
		return fmt.Errorf("base_url %q repeats /v1; write %q", raw, root(u, strings.TrimSuffix(path, "/v1")))
	}
	if path == "" && provider != ProviderAnthropic {
		return fmt.Errorf("base_url %q: the OpenAI-compatible API is served under a path such as /v1; write %q",
			raw, root(u, "/v1"))
	}
	return nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// root is u with path (the scheme, host and path only).
func root(u *url.URL, path string) string {
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: path}
	return v.String()
}

func endpointOf(provider string) string {
	if provider == ProviderAnthropic {
		return "/v1/messages"
	}
	return "/chat/completions"
}

func exampleBaseURL(provider string) string {
	if d, ok := defaults[provider]; ok && d.baseURL != "" {
		return d.baseURL
	}
	return "http://localhost:8000/v1"
}
