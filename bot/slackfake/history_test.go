package slackfake_test

import (
	"net/http"
	"testing"

	"github.com/slack-go/slack"

	"relman/bot/slackfake"
)

// TestHistoryWithMetadata: conversations.history answers a channel's
// top-level messages newest first, with their metadata only when asked,
// and conversations.replies a thread; a post whose answer failed after it
// was Accepted is there.
func TestHistoryWithMetadata(t *testing.T) {
	f, api := newFake(t)
	ctx := ctxT(t)
	meta := func(id int) slack.MsgOption {
		return slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "relman_outbox", EventPayload: map[string]any{"id": id}})
	}
	_, parent, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("one", false), meta(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("reply", false), slack.MsgOptionTS(parent), meta(2)); err != nil {
		t.Fatal(err)
	}
	f.Fail("chat.postMessage", slackfake.Fault{Status: http.StatusInternalServerError, Accepted: true}, 1)
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("lost answer", false), meta(3)); err == nil {
		t.Fatal("post with an Accepted 500 fault succeeded; want the 500")
	}

	res, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range res.Messages {
		got = append(got, m.Text)
		if m.Metadata.EventType != "relman_outbox" {
			t.Errorf("history message %q has metadata %+v; want relman_outbox", m.Text, m.Metadata)
		}
	}
	if len(got) != 2 || got[0] != "lost answer" || got[1] != "one" {
		t.Errorf("conversations.history = %q; want [lost answer one] (newest first, no thread replies)", got)
	}

	res, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Messages) != 1 || !res.HasMore || res.Messages[0].Metadata.EventType != "" {
		t.Errorf("conversations.history limit 1 without metadata = %+v, has_more %t; want one message, no metadata, has_more", res.Messages, res.HasMore)
	}

	replies, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: parent, IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(replies) != 2 || replies[0].Text != "one" || replies[1].Text != "reply" || replies[1].Metadata.EventPayload["id"] != float64(2) {
		t.Errorf("conversations.replies = %+v; want the parent then the reply with its metadata", replies)
	}
}
