package pipeline

// Names are checked by hand rather than by regexp: every Load checks each
// node, model and var name, and a compiled regexp is work at package
// initialisation that every sptflow command would pay.

// isName reports whether s is a node or model name:
// ^[A-Za-z0-9_][A-Za-z0-9_.-]*$.
func isName(s string) bool {
	if s == "" || !isWordByte(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isWordByte(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// isIdent reports whether s is a var name, foreach key or the name in a
// `${...}` reference: ^[A-Za-z_][A-Za-z0-9_]*$.
func isIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return true
}

func isIdentStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isWordByte(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' }
