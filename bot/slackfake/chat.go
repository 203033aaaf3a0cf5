package slackfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Message is the current state of a message the fake has recorded.
type Message struct {
	// Channel is the channel ID the message lives in (D… for DMs, also when
	// it was posted to a user ID).
	Channel string
	// TS is the message timestamp, its ID within Channel.
	TS string
	// ThreadTS is the parent's ts for thread replies, else "".
	ThreadTS string
	// Text is the current text.
	Text string
	// Blocks is the current blocks JSON, nil when the message has none.
	Blocks json.RawMessage
	// Attachments is the current attachments JSON, or nil.
	Attachments json.RawMessage
	// Metadata is the message metadata JSON, or nil.
	Metadata json.RawMessage
	// Files are the IDs of the files shared with the message
	// (files.completeUploadExternal; see Server.Files).
	Files []string
	// ReplyBroadcast reports a thread reply also sent to the channel.
	ReplyBroadcast bool
	// User is the author, always BotUserID for messages posted through the
	// API.
	User string
	// Recipient is the user an ephemeral message was shown to ("" for
	// ordinary messages).
	Recipient string
	// Edits counts successful chat.update calls (and response_url
	// replace_original posts) on this message.
	Edits int
	// EditedTS is the time of the last edit, "" if never edited.
	EditedTS string
}

// Messages returns the live (not deleted) messages of channel in ts order,
// thread replies included, as they are after all updates. A user ID is
// resolved to its DM channel.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if isUserID(channel) {
		channel = DMChannel(channel)
	}
	out := make([]Message, 0, len(s.messages[channel]))
	for _, m := range s.messages[channel] {
		out = append(out, *m)
	}
	return out
}

// Message returns the message with ts in channel, if it exists.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findLocked(channel, ts); m != nil {
		return *m, true
	}
	return Message{}, false
}

// Ephemerals returns the ephemeral messages posted to channel. They cannot
// be updated or deleted, as on Slack.
func (s *Server) Ephemerals(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if isUserID(channel) {
		channel = DMChannel(channel)
	}
	return append([]Message(nil), s.ephemerals[channel]...)
}

// DMChannel returns the D… channel ID of the bot's DM with user, the one
// conversations.open answers and chat.postMessage to a user ID posts to.
// It is stable: the same user always maps to the same channel.
func DMChannel(user string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(user))
	return fmt.Sprintf("D%010X", h.Sum64()&0xFF_FFFF_FFFF)
}

// isUserID reports whether id looks like a user ID (U… or W…).
func isUserID(id string) bool {
	if len(id) < 2 || (id[0] != 'U' && id[0] != 'W') {
		return false
	}
	for _, r := range id[1:] {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func (s *Server) findLocked(channel, ts string) *Message {
	for _, m := range s.messages[channel] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

func (s *Server) deleteLocked(channel, ts string) bool {
	msgs := s.messages[channel]
	for i, m := range msgs {
		if m.TS == ts {
			s.messages[channel] = append(msgs[:i:i], msgs[i+1:]...)
			return true
		}
	}
	return false
}

// checkBlocks validates a blocks array; it returns a Slack error code or "".
func checkBlocks(raw json.RawMessage, limit int) string {
	if raw == nil {
		return ""
	}
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil || len(blocks) > limit {
		return "invalid_blocks"
	}
	for _, b := range blocks {
		if t, _ := b["type"].(string); t == "" {
			return "invalid_blocks"
		}
	}
	return ""
}

// messageBody validates the text/blocks/attachments of a post or update.
func messageBody(c Call) (text string, blocks, attachments json.RawMessage, code string) {
	text = c.Param("text")
	blocks = c.raw("blocks")
	attachments = c.raw("attachments")
	if text == "" && blocks == nil && attachments == nil {
		return "", nil, nil, "no_text"
	}
	if code := checkBlocks(blocks, 50); code != "" {
		return "", nil, nil, code
	}
	if attachments != nil {
		var list []json.RawMessage
		if json.Unmarshal(attachments, &list) != nil {
			return "", nil, nil, "invalid_attachments"
		}
		if len(list) > 100 {
			return "", nil, nil, "too_many_attachments"
		}
	}
	return text, blocks, attachments, ""
}

func (m *Message) object() obj {
	o := obj{"type": "message", "user": m.User, "bot_id": BotID, "app_id": AppID,
		"team": TeamID, "text": m.Text, "ts": m.TS}
	if m.ThreadTS != "" {
		o["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		o["blocks"] = m.Blocks
	}
	if m.Attachments != nil {
		o["attachments"] = m.Attachments
	}
	if m.Metadata != nil {
		o["metadata"] = m.Metadata
	}
	if len(m.Files) > 0 {
		files := make([]obj, len(m.Files))
		for i, id := range m.Files {
			files[i] = obj{"id": id}
		}
		o["files"] = files
	}
	if m.EditedTS != "" {
		o["edited"] = obj{"user": m.User, "ts": m.EditedTS}
	}
	return o
}

// resolveChannel maps a user ID to its DM channel. It returns the channel
// and the rejection code, if any.
func (s *Server) resolveChannelLocked(channel string) (string, string) {
	if isUserID(channel) {
		dm := DMChannel(channel)
		s.opened[dm] = true
		return dm, s.rejectionLocked(channel, dm)
	}
	return channel, s.rejectionLocked(channel)
}

func (s *Server) chatPostMessage(c Call) obj {
	channel := c.Param("channel")
	if channel == "" {
		return fail("channel_not_found")
	}
	channel, code := s.resolveChannelLocked(channel)
	if code != "" {
		return fail(code)
	}
	text, blocks, attachments, code := messageBody(c)
	if code != "" {
		return fail(code)
	}
	if utf8.RuneCountInString(text) > 40000 {
		text = string([]rune(text)[:40000]) // Slack truncates, it does not fail
	}
	m := &Message{
		Channel: channel, TS: s.nextTSLocked(), ThreadTS: c.Param("thread_ts"),
		Text: text, Blocks: blocks, Attachments: attachments, Metadata: c.raw("metadata"),
		ReplyBroadcast: c.Param("reply_broadcast") == "true", User: BotUserID,
	}
	s.messages[channel] = append(s.messages[channel], m)
	return obj{"channel": channel, "ts": m.TS, "message": m.object()}
}

func (s *Server) chatUpdate(c Call) obj {
	channel, ts := c.Param("channel"), c.Param("ts")
	if channel == "" || isUserID(channel) {
		// Slack wants the D… ID for DMs, not the user ID.
		return fail("channel_not_found")
	}
	if code := s.rejectionLocked(channel); code != "" {
		return fail(code)
	}
	m := s.findLocked(channel, ts)
	if m == nil {
		return fail("message_not_found")
	}
	text, blocks, attachments, code := messageBody(c)
	if code != "" {
		return fail(code)
	}
	if utf8.RuneCountInString(text) > 4000 {
		return fail("msg_too_long")
	}
	s.applyEditLocked(m, c.has("text"), text, blocks, attachments)
	return obj{"channel": channel, "ts": ts, "text": m.Text, "message": m.object()}
}

// applyEditLocked updates a message like chat.update: given text replaces
// the text, and text without blocks removes the blocks (blocks:[] also
// clears them); missing text keeps the old text.
func (s *Server) applyEditLocked(m *Message, hasText bool, text string, blocks, attachments json.RawMessage) {
	if hasText {
		m.Text = text
	}
	switch {
	case blocks != nil:
		if string(blocks) == "[]" || string(blocks) == "null" {
			m.Blocks = nil
		} else {
			m.Blocks = blocks
		}
	case hasText:
		m.Blocks = nil
	}
	if attachments != nil {
		m.Attachments = attachments
	}
	m.Edits++
	m.EditedTS = s.nextTSLocked()
}

func (s *Server) chatPostEphemeral(c Call) obj {
	channel, recipient := c.Param("channel"), c.Param("user")
	if channel == "" {
		return fail("channel_not_found")
	}
	channel, code := s.resolveChannelLocked(channel)
	if code != "" {
		return fail(code)
	}
	if recipient == "" {
		return fail("user_not_in_channel")
	}
	text, blocks, attachments, code := messageBody(c)
	if code != "" {
		return fail(code)
	}
	ts := s.nextTSLocked()
	s.ephemerals[channel] = append(s.ephemerals[channel], Message{
		Channel: channel, TS: ts, ThreadTS: c.Param("thread_ts"), Text: text,
		Blocks: blocks, Attachments: attachments, User: BotUserID, Recipient: recipient,
	})
	return obj{"message_ts": ts}
}

func (s *Server) chatDelete(c Call) obj {
	channel, ts := c.Param("channel"), c.Param("ts")
	if channel == "" || isUserID(channel) {
		return fail("channel_not_found")
	}
	if code := s.rejectionLocked(channel); code != "" {
		return fail(code)
	}
	if !s.deleteLocked(channel, ts) {
		return fail("message_not_found")
	}
	return obj{"channel": channel, "ts": ts}
}

func (s *Server) chatGetPermalink(c Call) obj {
	channel, ts := c.Param("channel"), c.Param("message_ts")
	if s.findLocked(channel, ts) == nil {
		return fail("message_not_found")
	}
	return obj{"channel": channel,
		"permalink": "https://fake-workspace.slack.com/archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", "")}
}

func (s *Server) conversationsOpen(c Call) obj {
	var users []string
	for u := range strings.SplitSeq(c.Param("users"), ",") {
		if u = strings.TrimSpace(u); u != "" && u != BotUserID {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		if ch := c.Param("channel"); ch != "" {
			if !s.opened[ch] {
				return fail("channel_not_found")
			}
			return obj{"channel": obj{"id": ch}, "no_op": true, "already_open": true}
		}
		return fail("users_list_not_supplied")
	}
	if len(users) > 8 {
		return fail("too_many_users")
	}
	for _, u := range users {
		if !isUserID(u) {
			return fail("user_not_found")
		}
	}
	var ch obj
	var id string
	if len(users) == 1 {
		id = DMChannel(users[0])
		ch = obj{"id": id, "is_im": true, "user": users[0]}
	} else {
		sorted := append([]string(nil), users...)
		sort.Strings(sorted)
		h := fnv.New64a()
		_, _ = h.Write([]byte(strings.Join(sorted, ",")))
		id = fmt.Sprintf("G%010X", h.Sum64()&0xFF_FFFF_FFFF)
		ch = obj{"id": id, "is_mpim": true, "is_group": true, "is_private": true}
	}
	already := s.opened[id]
	s.opened[id] = true
	ch["is_open"] = true
	ch["created"] = s.Now().Unix()
	return obj{"channel": ch, "no_op": already, "already_open": already}
}

// conversationsHistory answers the channel's top-level messages (and thread
// replies also sent to the channel), newest first, at most limit (default
// 100) of them with ts in [oldest, latest]; metadata only with
// include_all_metadata, as Slack does. A user ID is channel_not_found:
// Slack wants the D… ID.
func (s *Server) conversationsHistory(c Call) obj {
	channel := c.Param("channel")
	if channel == "" || isUserID(channel) {
		return fail("channel_not_found")
	}
	var msgs []*Message
	for _, m := range s.messages[channel] {
		if m.ThreadTS == "" || m.ThreadTS == m.TS || m.ReplyBroadcast {
			msgs = append(msgs, m)
		}
	}
	return historyPage(c, msgs, s.pageLimit)
}

// conversationsReplies answers the thread whose parent is ts: the parent
// and its replies, oldest first, as conversations.replies does.
func (s *Server) conversationsReplies(c Call) obj {
	channel, ts := c.Param("channel"), c.Param("ts")
	if channel == "" || isUserID(channel) {
		return fail("channel_not_found")
	}
	if s.findLocked(channel, ts) == nil {
		return fail("thread_not_found")
	}
	var msgs []*Message
	for _, m := range s.messages[channel] {
		if m.TS == ts || m.ThreadTS == ts {
			msgs = append(msgs, m)
		}
	}
	page := historyPage(c, msgs, s.pageLimit)
	list := page["messages"].([]obj)
	slices.Reverse(list)
	return page
}

// historyPage is the newest limit of msgs (in ts order) within oldest and
// latest, newest first. When more are left it says so (has_more) and gives
// a next_cursor that a call with cursor continues from: the page of the
// next older ones. A page holds at most most messages when most > 0
// (PageLimit).
func historyPage(c Call, msgs []*Message, most int) obj {
	limit := 100
	if n, err := strconv.Atoi(c.Param("limit")); err == nil && n > 0 && n < 1000 {
		limit = n
	}
	if most > 0 {
		limit = min(limit, most)
	}
	oldest, latest := c.Param("oldest"), c.Param("latest")
	before := ""
	if b, err := base64.StdEncoding.DecodeString(c.Param("cursor")); err == nil {
		before, _ = strings.CutPrefix(string(b), "before:")
	}
	metadata := c.Param("include_all_metadata") == "1" || c.Param("include_all_metadata") == "true"
	list := []obj{}
	more, last := false, ""
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if (oldest != "" && tsBefore(m.TS, oldest)) || (latest != "" && tsBefore(latest, m.TS)) ||
			(before != "" && !tsBefore(m.TS, before)) {
			continue
		}
		if len(list) == limit {
			more = true
			break
		}
		o := m.object()
		if !metadata {
			delete(o, "metadata")
		}
		list = append(list, o)
		last = m.TS
	}
	page := obj{"messages": list, "has_more": more}
	if more {
		page["response_metadata"] = obj{"next_cursor": base64.StdEncoding.EncodeToString([]byte("before:" + last))}
	}
	return page
}

// tsBefore reports whether Slack timestamp a is earlier than b.
func tsBefore(a, b string) bool {
	x, _ := strconv.ParseFloat(a, 64)
	y, _ := strconv.ParseFloat(b, 64)
	return x < y
}
