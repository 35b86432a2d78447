package jsonscan

import (
	"encoding/json"
	"testing"
)

func TestUnquote(t *testing.T) {
	tests := []string{
		`"plain"`, `""`, `"a\"b\\c\/d"`, `"\b\f\n\r\t"`, `"caf\u00e9 \u00E9"`, `"smile \ud83d\ude00!"`,
		`"lone \ud83d end"`, `"lone \ude00"`, `"mixed é \n ✓"`, `"\u0000x"`,
	}
	for _, raw := range tests {
		var want string
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		got, err := Unquote([]byte(raw))
		if err != nil || got != want {
			t.Errorf("Unquote(%s): got %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, bad := range []string{`"\x"`, `"\u12"`, `"\`, `abc`} {
		if _, err := Unquote([]byte(bad)); err == nil {
			t.Errorf("Unquote(%s): want an error", bad)
		}
	}
}

func TestScanner(t *testing.T) {
	doc := `{"skip": {"a": [1, "]}\"", {"b": null}], "c": "x\\"}, "keep": ["s\"1", 2, "s2"], "n": true, "e": []}`
	s := New([]byte(doc))
	var keys []string
	var kept []string
	err := s.Object(func(key []byte) error {
		keys = append(keys, string(key))
		if string(key) == "keep" {
			return s.Array(func() error {
				if s.Peek() == '"' {
					v, err := s.Str()
					kept = append(kept, v)
					return err
				}
				_, err := s.Skip()
				return err
			})
		}
		_, err := s.Skip()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(keys); got != 4 || keys[1] != "keep" || len(kept) != 2 || kept[0] != `s"1` || kept[1] != "s2" {
		t.Errorf("got keys %v kept %q", keys, kept)
	}
	for _, bad := range []string{`{"a": "x}`, `{"a" 1}`, `{"a": [1, 2}`, `{"a": 1`, `[`} {
		s := New([]byte(bad))
		if err := s.Object(func([]byte) error { _, err := s.Skip(); return err }); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}
