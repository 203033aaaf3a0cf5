package blockkit

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// AppendJSON appends r as JSON to b, byte for byte what json.Marshal(r)
// writes, and returns the result. Every reply is encoded on the way out,
// and json.Marshal spends most of it in reflection and in re-encoding what
// slack-go's MarshalJSON methods return. AppendJSON writes the blocks
// Blocks makes (header, section and context blocks of text objects)
// directly; any other block is left to json.Marshal, and its error, if
// any, is returned.
func (r Response) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	if r.ResponseType != "" {
		b = append(b, `"response_type":`...)
		b = appendJSONString(b, r.ResponseType)
		b = append(b, ',')
	}
	b = append(b, `"text":`...)
	b = appendJSONString(b, r.Text)
	if len(r.Blocks) > 0 {
		b = append(b, `,"blocks":[`...)
		for i, blk := range r.Blocks {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendBlock(b, blk); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	if r.ReplaceOriginal {
		b = append(b, `,"replace_original":true`...)
	}
	if r.DeleteOriginal {
		b = append(b, `,"delete_original":true`...)
	}
	if r.ThreadTS != "" {
		b = append(b, `,"thread_ts":`...)
		b = appendJSONString(b, r.ThreadTS)
	}
	return append(b, '}'), nil
}

// appendBlock appends one block as json.Marshal encodes it. The field
// order and omitempty rules are slack-go's struct tags (v0.35.0);
// TestAppendJSONKnowsTheStructs fails when slack-go adds a field.
func appendBlock(b []byte, blk slack.Block) ([]byte, error) {
	switch blk := blk.(type) {
	case nil:
		return append(b, "null"...), nil
	case *slack.HeaderBlock:
		if blk == nil {
			break
		}
		b = appendBlockStart(b, blk.Type)
		if blk.Text != nil {
			b = append(b, `,"text":`...)
			b = appendTextObject(b, blk.Text)
		}
		b = appendBlockID(b, blk.BlockID)
		if blk.Level != 0 {
			b = append(b, `,"level":`...)
			b = strconv.AppendInt(b, int64(blk.Level), 10)
		}
		return append(b, '}'), nil
	case *slack.SectionBlock:
		if blk == nil || blk.Accessory != nil {
			break
		}
		b = appendBlockStart(b, blk.Type)
		if blk.Text != nil {
			b = append(b, `,"text":`...)
			b = appendTextObject(b, blk.Text)
		}
		b = appendBlockID(b, blk.BlockID)
		if len(blk.Fields) > 0 {
			b = append(b, `,"fields":[`...)
			for i, f := range blk.Fields {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendTextObject(b, f)
			}
			b = append(b, ']')
		}
		if blk.Expand {
			b = append(b, `,"expand":true`...)
		}
		return append(b, '}'), nil
	case *slack.ContextBlock:
		if blk == nil || !textElements(blk.ContextElements.Elements) {
			break
		}
		b = appendBlockStart(b, blk.Type)
		b = appendBlockID(b, blk.BlockID)
		b = append(b, `,"elements":`...)
		if blk.ContextElements.Elements == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '[')
			for i, e := range blk.ContextElements.Elements {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendTextObject(b, e.(*slack.TextBlockObject))
			}
			b = append(b, ']')
		}
		return append(b, '}'), nil
	}
	j, err := json.Marshal(blk)
	return append(b, j...), err
}

// textElements reports whether every context element is a text object.
func textElements(es []slack.MixedElement) bool {
	for _, e := range es {
		if t, ok := e.(*slack.TextBlockObject); !ok || t == nil {
			return false
		}
	}
	return true
}

func appendBlockStart(b []byte, t slack.MessageBlockType) []byte {
	b = append(b, `{"type":`...)
	return appendJSONString(b, string(t))
}

func appendBlockID(b []byte, id string) []byte {
	if id == "" {
		return b
	}
	b = append(b, `,"block_id":`...)
	return appendJSONString(b, id)
}

// appendTextObject appends a text object; nil is null.
func appendTextObject(b []byte, t *slack.TextBlockObject) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"type":`...)
	b = appendJSONString(b, t.Type)
	b = append(b, `,"text":`...)
	b = appendJSONString(b, t.Text)
	if t.Emoji != nil {
		b = append(b, `,"emoji":`...)
		b = strconv.AppendBool(b, *t.Emoji)
	}
	if t.Verbatim {
		b = append(b, `,"verbatim":true`...)
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes a JSON string holds as they are:
// printable, and none of " \ < > &.
var jsonSafe = func() (safe [utf8.RuneSelf]bool) {
	for c := byte(0x20); c < utf8.RuneSelf; c++ {
		safe[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return safe
}()

// appendJSONString appends s as a JSON string the way encoding/json
// writes one: <, > and & as \u003c, \u003e and \u0026, control characters
// escaped, invalid UTF-8 as \ufffd, and U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
