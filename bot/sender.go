package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"relman/bot/blockkit"
	"relman/bot/outbox"
	"relman/store"
)

// SlackSender delivers outbox messages with chat.postMessage and
// chat.update.
type SlackSender struct {
	API     *slack.Client
	Metrics *Metrics
}

var _ outbox.Sender = (*SlackSender)(nil)

// outboxEventType marks relman's messages in Slack message metadata, with
// the outbox ID, so a message posted twice after an ambiguous failure (a
// timeout after Slack accepted it) can be recognised.
const outboxEventType = "relman_outbox"

// Send posts m (in thread's thread, when set) or edits update in place.
func (s *SlackSender) Send(ctx context.Context, m *store.Message, thread, update *store.Posted) (store.Posted, error) {
	opts := []slack.MsgOption{
		slack.MsgOptionText(blockkit.FallbackText(m.Doc), false),
		slack.MsgOptionBlocks(blockkit.Blocks(m.Doc, outboxBlockPrefix(m.ID))...),
		slack.MsgOptionDisableLinkUnfurl(),
	}
	if update != nil {
		_, _, _, err := s.API.UpdateMessageContext(ctx, update.Channel, update.TS, opts...)
		if err != nil {
			return store.Posted{}, s.classify("chat.update", err)
		}
		return *update, nil
	}
	channel, threadTS := m.Channel, ""
	if thread != nil {
		channel, threadTS = thread.Channel, thread.ThreadTS()
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{
		EventType: outboxEventType, EventPayload: map[string]any{"id": m.ID},
	}))
	ch, ts, err := s.API.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return store.Posted{}, s.classify("chat.postMessage", err)
	}
	return store.Posted{Channel: ch, TS: ts, Thread: threadTS}, nil
}

// findLimit is how many messages Find asks for a page; findPages bounds
// the pages it reads; findSkew is how much earlier than the message was
// queued (by relman's clock) Find looks, for Slack's clock being behind.
const (
	findLimit = 100
	findPages = 10
	findSkew  = 10 * time.Minute
)

var _ outbox.Finder = (*SlackSender)(nil)

// Find looks among the messages of the channel m goes to (of thread's
// thread when set, with conversations.replies; a DM's channel is opened
// first) posted since m was queued, a page of findLimit at a time (at most
// findPages), for one carrying m's outbox ID, and returns where it is, or
// nil. It needs the *:history scopes; without them it fails (missing_scope
// or not_in_channel) and the outbox posts as it would have. Its errors are
// *outbox.DeliveryError: a 429 carries Slack's Retry-After.
func (s *SlackSender) Find(ctx context.Context, m *store.Message, thread *store.Posted) (*store.Posted, error) {
	channel, threadTS, err := s.conversation(ctx, m, thread)
	if err != nil {
		return nil, s.classify("conversations.open", err)
	}
	oldest := ""
	if !m.CreatedAt.IsZero() {
		oldest = strconv.FormatInt(m.CreatedAt.Add(-findSkew).Unix(), 10) + ".000000"
	}
	first := outboxBlockID(m.ID)
	cursor := ""
	for range findPages {
		var msgs []slack.Message
		more := false
		if threadTS != "" {
			msgs, more, cursor, err = s.API.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: threadTS, Limit: findLimit, Oldest: oldest, Cursor: cursor, IncludeAllMetadata: true})
			if err != nil {
				return nil, s.classify("conversations.replies", err)
			}
		} else {
			res, err := s.API.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Limit: findLimit, Oldest: oldest, Cursor: cursor, IncludeAllMetadata: true})
			if err != nil {
				return nil, s.classify("conversations.history", err)
			}
			msgs, more, cursor = res.Messages, res.HasMore, res.ResponseMetaData.NextCursor
		}
		for _, msg := range msgs {
			if msg.Metadata.EventType == outboxEventType && outboxID(msg.Metadata.EventPayload["id"]) == m.ID {
				return &store.Posted{Channel: channel, TS: msg.Timestamp, Thread: threadTS}, nil
			}
			// A message posted with a picture (SendPicture) carries no
			// metadata, only its blocks, whose IDs name its outbox ID too.
			if bs := msg.Blocks.BlockSet; len(bs) > 0 && bs[0].ID() == first {
				return &store.Posted{Channel: channel, TS: msg.Timestamp, Thread: threadTS}, nil
			}
		}
		if !more || cursor == "" {
			break
		}
	}
	return nil, nil
}

// outboxBlockPrefix is the prefix of the block IDs of outbox message id
// (blockkit.Blocks numbers them from 0 after it).
func outboxBlockPrefix(id uint64) string { return "m" + strconv.FormatUint(id, 10) }

// outboxBlockID is the block ID of the first block of outbox message id.
func outboxBlockID(id uint64) string { return outboxBlockPrefix(id) + "-0" }

// conversation returns where m goes: thread's channel and thread when set,
// else m's channel, a DM's opened first (conversations.open: its error is
// returned as is).
func (s *SlackSender) conversation(ctx context.Context, m *store.Message, thread *store.Posted) (channel, threadTS string, err error) {
	switch {
	case thread != nil:
		return thread.Channel, thread.ThreadTS(), nil
	case m.DM:
		ch, _, _, err := s.API.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{m.Channel}})
		if err != nil {
			return "", "", err
		}
		return ch.ID, "", nil
	}
	return m.Channel, "", nil
}

// outboxID is the outbox ID in a message's metadata payload, which JSON
// decodes as a float64; 0 if it is not a number.
func outboxID(v any) uint64 {
	switch n := v.(type) {
	case float64:
		if n > 0 {
			return uint64(n)
		}
	case string:
		id, _ := strconv.ParseUint(n, 10, 64)
		return id
	}
	return 0
}

// Permalink returns the URL of the message at p (chat.getPermalink).
func (s *SlackSender) Permalink(ctx context.Context, p store.Posted) (string, error) {
	url, err := s.API.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: p.Channel, Ts: p.TS})
	if err != nil {
		s.Metrics.slackError("chat.getPermalink", errorCode(err))
		return "", fmt.Errorf("chat.getPermalink: %w", err)
	}
	return url, nil
}

var _ outbox.Permalinker = (*SlackSender)(nil)

// permanentErrors are Slack error codes that no retry can fix.
var permanentErrors = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "msg_too_long": true,
	"no_text": true, "invalid_blocks": true, "invalid_blocks_format": true, "too_many_attachments": true,
	"restricted_action": true, "restricted_action_read_only_channel": true, "restricted_action_thread_only_channel": true,
	"restricted_action_non_threadable_channel": true, "cannot_reply_to_message": true, "cant_update_message": true,
	"message_not_found": true, "edit_window_closed": true, "user_not_found": true, "user_not_visible": true,
	"invalid_arguments": true, "invalid_metadata_format": true, "invalid_metadata_schema": true,
	"channel_is_archived": true, "messages_tab_disabled": true, "duplicate_channel_not_found": true,
}

// classify turns a slack-go error into a *outbox.DeliveryError: whether a retry
// can help, and how long Slack asked to wait.
func (s *SlackSender) classify(method string, err error) error {
	de := &outbox.DeliveryError{Err: fmt.Errorf("%s: %w", method, err), Reason: errorCode(err)}
	// Slack answered with an error (a 429, a 4xx, ok:false): nothing
	// was posted. A 5xx, a timeout or a cut connection may come after the
	// post landed.
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		de.RetryAfter = rl.RetryAfter
		de.NotPosted = true
	} else if sc, ok := errors.AsType[slack.StatusCodeError](err); ok {
		de.Permanent = sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusTooManyRequests && sc.Code != http.StatusRequestTimeout
		de.NotPosted = sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusRequestTimeout
	} else if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		de.Permanent = permanentErrors[se.Err]
		de.NotPosted = true
	}
	s.Metrics.slackError(method, de.Reason)
	return de
}

// errorCode is a short label for a Slack API error, for metrics and logs:
// Slack's own error code, ratelimited, http_NNN, timeout or network.
func errorCode(err error) string {
	if err == nil {
		return ""
	}
	if _, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		return "ratelimited"
	}
	if sc, ok := errors.AsType[slack.StatusCodeError](err); ok {
		return "http_" + strconv.Itoa(sc.Code)
	}
	if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		return se.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "network"
}
