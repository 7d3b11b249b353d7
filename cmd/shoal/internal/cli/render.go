package cli

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// renderValue turns a value as the API gives it (JSON, base64 for bytes)
// into text for a terminal: register bytes as they are when printable,
// quoted otherwise; a map's field values likewise.
func renderValue(typ string, raw json.RawMessage) string {
	switch typ {
	case "register":
		var b []byte
		if json.Unmarshal(raw, &b) == nil {
			return printable(b)
		}
	case "map":
		var m map[string][]byte
		if json.Unmarshal(raw, &m) == nil {
			text := make(map[string]string, len(m))
			for f, v := range m {
				text[f] = string(v)
			}
			b, _ := json.Marshal(text) // valid UTF-8 is escaped by Marshal
			return string(b)
		}
	}
	return string(raw)
}

// printable returns b as text if it is printable UTF-8 on one line, else
// Go-quoted so that control bytes cannot garble the terminal.
func printable(b []byte) string {
	s := string(b)
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
		return s
	}
	return strconv.Quote(s)
}
