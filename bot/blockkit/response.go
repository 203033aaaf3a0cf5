package blockkit

import (
	"strings"

	"github.com/slack-go/slack"

	"relman/store"
)

// Response is the JSON body of a slash command's immediate reply or of a
// post to a response_url. It exists because encoding slack.Msg adds
// "blocks":null and an empty "metadata" object (SLACK.md §1.2).
// Blocks marshal as Slack's block JSON: each slack.Block in the slice
// encodes as its concrete type, exactly as slack.Blocks would.
type Response struct {
	// ResponseType is slack.ResponseTypeEphemeral (Slack's default) or
	// slack.ResponseTypeInChannel.
	ResponseType string        `json:"response_type,omitempty"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
	// ReplaceOriginal and DeleteOriginal act on the message a button was
	// clicked in (response_url only); neither can touch the user's slash
	// command itself.
	ReplaceOriginal bool `json:"replace_original,omitempty"`
	DeleteOriginal  bool `json:"delete_original,omitempty"`
	// ThreadTS, with ResponseType in_channel, replies in that thread.
	ThreadTS string `json:"thread_ts,omitempty"`
}

// Ephemeral is an ephemeral reply, seen only by the user who acted: doc's
// blocks (without block_ids) and, as its text, the first line of its
// FallbackText (an ephemeral reply notifies nobody, so the text only stands
// in where blocks cannot be shown; repeating a whole list there would double
// the body). A large doc can give a body over the 20 KB Slack accepts as a
// Socket Mode ack (SLACK.md §4); send such replies to the response_url
// instead.
func Ephemeral(doc store.Doc) Response {
	return Response{
		ResponseType: slack.ResponseTypeEphemeral,
		Text:         summary(doc),
		Blocks:       Blocks(doc, ""),
	}
}

// summary is the text of an ephemeral reply: the first line of doc's
// FallbackText shortened to maxSummary, or all of it when its first line
// is empty or its only one. A long doc's first line is found in doc.Text
// within what FallbackText keeps, without building the shortened copy.
func summary(doc store.Doc) string {
	if !blank(doc.Text) {
		i := strings.IndexByte(doc.Text, '\n')
		if i > 0 && (len(doc.Text) <= maxFallback || keepsFirstLine(doc.Text, i, maxFallback)) {
			return clipMrkdwn(doc.Text[:i], maxSummary)
		}
		n, _ := clipMrkdwnLen(doc.Text, maxFallback)
		if i := strings.IndexByte(doc.Text[:n], '\n'); i > 0 {
			return clipMrkdwn(doc.Text[:i], maxSummary)
		}
	}
	text := FallbackText(doc)
	if i := strings.IndexByte(text, '\n'); i > 0 {
		text = clipMrkdwn(text[:i], maxSummary)
	}
	return text
}

// keepsFirstLine reports, looking at s's first lines only, that
// clipMrkdwn(s, max) keeps s up to its first line break i and more, so that
// its first line is s[:i]. It is so when a later line break q comes within
// max-1 bytes (within what clipMrkdwn keeps before it cuts back) and a '>'
// comes between i and q: clipMrkdwn then cuts back at most to the last line
// break (q or later), to a '<' after the last '>', or to an '&' starting an
// entity (&amp; &lt; &gt;, none holding a '>') that the end splits, so never
// to that '>' or before it. False means only that it did not look far
// enough to tell.
func keepsFirstLine(s string, i, max int) bool {
	gt := false
	for j := i + 1; j < min(len(s), max-1); j++ {
		switch s[j] {
		case '>':
			gt = true
		case '\n':
			if gt {
				return true
			}
		}
	}
	return false
}

// maxSummary bounds the text of an ephemeral reply.
const maxSummary = 300
