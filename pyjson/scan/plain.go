package scan

// PlainLen returns the length of the prefix of b that a JSON string holds
// as-is: no quote, backslash or control character, so that a string whose
// body b[:PlainLen(b)] ends at a quote decodes to exactly those bytes. For
// readers that walk documents with loops of their own (steps/evalreport).
func PlainLen(b []byte) int { return plainLen(b) }
