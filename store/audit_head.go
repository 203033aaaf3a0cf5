package store

import (
	"bytes"
	"encoding/json"
	"time"
)

// auditHead is the part of an audit entry a filter looks at first, read
// without decoding the records the entry holds before and after. Its
// fields point into the encoded entry.
type auditHead struct {
	at      []byte // RFC 3339, parsed only when asked (before)
	actor   []byte
	action  []byte
	subject []byte
}

// before reports whether the entry is from before t; an instant that does
// not parse is not.
func (h *auditHead) before(t time.Time) bool {
	at, err := time.Parse(time.RFC3339Nano, string(h.at))
	return err == nil && at.Before(t)
}

// readAuditHead reads the head of an encoded audit entry. Entries are
// written by json.Marshal of Audit, whose fields come in a fixed order
// (seq, at, actor, action, subject, …), so the head is the start of the
// value; ok is false for anything else, and for a head with an escaped
// character, which the caller then decodes whole.
func readAuditHead(v []byte) (h auditHead, ok bool) {
	rest, ok := skipPrefix(v, `{"seq":`)
	if !ok {
		return h, false
	}
	i := bytes.IndexByte(rest, ',')
	if i < 0 {
		return h, false
	}
	rest = rest[i+1:]
	for _, f := range []struct {
		key string
		to  *[]byte
	}{{`"at":`, &h.at}, {`,"actor":`, &h.actor}, {`,"action":`, &h.action}, {`,"subject":`, &h.subject}} {
		if rest, ok = skipPrefix(rest, f.key); !ok {
			return h, false
		}
		if *f.to, rest, ok = readString(rest); !ok {
			return h, false
		}
	}
	return h, true
}

func skipPrefix(b []byte, p string) ([]byte, bool) {
	if len(b) < len(p) || string(b[:len(p)]) != p {
		return nil, false
	}
	return b[len(p):], true
}

// readString reads the JSON string without escapes b starts with, and
// returns its bytes and what follows it.
func readString(b []byte) ([]byte, []byte, bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, nil, false
	}
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			return nil, nil, false
		case '"':
			return b[1:i], b[i+1:], true
		}
	}
	return nil, nil, false
}

// selectsHead says whether f selects an entry with head h (Before and
// Since aside), and whether that is sure: it is not for entries whose
// subject does not say what they are about (a change request, a freeze),
// which the caller decodes and asks Selects.
func (f AuditFilter) selectsHead(h *auditHead) (yes, sure bool) {
	if f.Actor != "" && string(h.actor) != f.Actor {
		return false, true
	}
	scoped := f.Release != "" || f.Product != ""
	if scoped && (bytes.HasPrefix(h.subject, []byte("CR-")) || bytes.HasPrefix(h.subject, []byte("freeze "))) {
		return false, false
	}
	// Every subject about a release names it; about a product, names it.
	if f.Release != "" && !bytes.Contains(h.subject, []byte(f.Release)) {
		return false, true
	}
	if f.Product != "" && !bytes.Contains(h.subject, []byte(f.Product)) {
		return false, true
	}
	return f.Selects(&Audit{Actor: string(h.actor), Subject: string(h.subject)}), true
}

// DecodeAudit decodes an encoded audit entry. Entries written by
// json.Marshal of Audit (every entry relman writes) are read by their
// fixed layout, with Before and After pointing into v rather than copied,
// which costs one pass over the records instead of json.Unmarshal's two;
// anything else (an escaped character in the head, an older layout) is
// decoded by json.Unmarshal.
func DecodeAudit(v []byte) (Audit, error) {
	if a, ok := decodeAuditLayout(v); ok {
		return a, nil
	}
	var a Audit
	err := json.Unmarshal(v, &a)
	return a, err
}

func decodeAuditLayout(v []byte) (a Audit, ok bool) {
	rest, ok := skipPrefix(v, `{"seq":`)
	if !ok {
		return a, false
	}
	i := bytes.IndexByte(rest, ',')
	if i < 0 {
		return a, false
	}
	if a.Seq, ok = parseUint(rest[:i]); !ok {
		return a, false
	}
	rest = rest[i+1:]
	var at, actor, action, subject, via []byte
	for _, f := range []struct {
		key string
		to  *[]byte
	}{{`"at":`, &at}, {`,"actor":`, &actor}, {`,"action":`, &action}, {`,"subject":`, &subject}} {
		if rest, ok = skipPrefix(rest, f.key); !ok {
			return a, false
		}
		if *f.to, rest, ok = readString(rest); !ok {
			return a, false
		}
	}
	if r, has := skipPrefix(rest, `,"via":`); has {
		if via, rest, ok = readString(r); !ok {
			return a, false
		}
	}
	for _, f := range []struct {
		key string
		to  *json.RawMessage
	}{{`,"before":`, &a.Before}, {`,"after":`, &a.After}} {
		if r, has := skipPrefix(rest, f.key); has {
			n := skipValue(r)
			if n <= 0 {
				return a, false
			}
			*f.to, rest = json.RawMessage(r[:n]), r[n:]
		}
	}
	if string(rest) != "}" {
		return a, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(at))
	if err != nil {
		return a, false
	}
	a.At, a.Actor, a.Action, a.Subject, a.Via = t, string(actor), string(action), string(subject), string(via)
	return a, true
}

func parseUint(b []byte) (uint64, bool) {
	var n uint64
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// skipValue returns the length of the JSON object or array b starts with
// (json.Marshal's output: no white space), or 0 when it does not end.
func skipValue(b []byte) int {
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') {
		return 0
	}
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return 0
}
