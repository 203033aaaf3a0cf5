package store

import "time"

// Message is an outgoing message in the outbox. It is written in the same
// transaction as the change that causes it, and a worker delivers it.
type Message struct {
	ID uint64 `json:"id"`
	// Channel is a channel ID, or a user ID for a direct message (DM set).
	Channel string `json:"channel"`
	DM      bool   `json:"dm,omitempty"`
	// Ref, when set, names the message so that later messages can edit it in
	// place (UpdateOf) or reply in its thread (ThreadOf); the worker records
	// the channel and ts the transport returned under it. An edit is never
	// posted as a new message: it waits while the message it edits is
	// still queued, and is dropped if that message was parked. Queued
	// edits of one message collapse into the newest, so an edit must carry
	// the whole message as of its transaction, and name the same Channel
	// as the message it edits (it is spaced and ordered with it).
	Ref      string `json:"ref,omitempty"`
	ThreadOf string `json:"thread_of,omitempty"`
	UpdateOf string `json:"update_of,omitempty"`
	// LinkOf names a message (a Ref) this one links to, such as a DM
	// pointing at a change request's thread: the outbox waits while that
	// message is queued, then ends this one with its permalink labelled
	// LinkText (mrkdwn). When the link cannot be had (the message was
	// parked, or the transport has no permalinks) it goes without it, so
	// its text must say where to look on its own.
	LinkOf   string `json:"link_of,omitempty"`
	LinkText string `json:"link_text,omitempty"`
	// NotBefore holds a message (a reminder outside working hours) until then.
	NotBefore time.Time `json:"not_before,omitzero"`
	// Quiet holds a DM for its recipient's working hours (09:00–18:00 on a
	// weekday in their Slack zone): the outbox sets NotBefore when it finds
	// the message due outside them. Channel posts go at once regardless.
	Quiet bool `json:"quiet,omitempty"`
	// Remind marks a DM that is due whoever acted: a reminder found due
	// while a command ran (an upcoming needed-by date) goes to its
	// recipient even when that person ran the command. Other DMs to the
	// actor of the transaction that queues them are not queued (Enqueue).
	Remind    bool      `json:"remind,omitempty"`
	Doc       Doc       `json:"doc"`
	CreatedAt time.Time `json:"created_at"`

	Attempts    int       `json:"attempts,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Parked      bool      `json:"parked,omitempty"`
	// Sending is set just before the message is handed to the transport
	// to be posted, and cleared only when the outcome of that attempt is
	// recorded and shows nothing was posted. A queued message with it set
	// may be in Slack already (its worker died, or lost the database,
	// between the post and its record), so it is looked for there before
	// it is posted again; one without it was never handed over.
	Sending bool `json:"sending,omitempty"`

	// Picture, when set, asks for a timeline picture with the message: a
	// transport that can upload files draws it at delivery and posts it
	// with Doc; one that cannot (or whose upload fails) posts Doc alone,
	// so Doc must stand on its own. Edits (UpdateOf) carry no picture.
	Picture *Timeline `json:"picture,omitempty"`

	// Notice, when set, is what the message reports: the outbox composes
	// its words again when it delivers it (Doc is then what they were when
	// it was queued), and drops it when what it reports no longer holds.
	// Messages without one (queued by an older relman, or news of a
	// command) go with Doc as it is.
	Notice *Notice `json:"notice,omitempty"`
}

// Doc is a transport-neutral message body. Text fields are Slack mrkdwn in
// which every piece of user text has already been escaped (see
// render.Escape); transports render it as Block Kit or plain text.
type Doc struct {
	// Text is the whole message as one mrkdwn string: the notification
	// fallback, and what text-only transports print.
	Text     string    `json:"text"`
	Header   string    `json:"header,omitempty"` // plain text, no markup
	Sections []Section `json:"sections,omitempty"`
	Buttons  []Button  `json:"buttons,omitempty"`
	// More counts items left out to respect message size limits; renderers
	// end the message with "and N more".
	More int `json:"more,omitempty"`
	// MoreHint, mrkdwn, says how to see what More left out ("narrow it
	// with `/release list <product>`"); renderers add it after "and N more".
	MoreHint string `json:"more_hint,omitempty"`
}

// Section is one block of a Doc.
type Section struct {
	Text    string   `json:"text,omitempty"`
	Fields  []string `json:"fields,omitempty"`
	Context string   `json:"context,omitempty"`
}

// Button is an action on a message.
type Button struct {
	ActionID string `json:"action_id"`
	Text     string `json:"text"`
	Value    string `json:"value"`
	Style    string `json:"style,omitempty"` // "", primary, danger
}

// Posted is where a named message (Message.Ref) landed.
type Posted struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	// Thread is the ts of the thread's parent when the message is itself
	// a reply in a thread; "" for a top-level message.
	Thread string `json:"thread,omitempty"`
}

// ThreadTS is the ts a reply in p's thread names: its parent's when p is
// itself a reply (Slack wants the parent's ts, never a reply's), else p's.
func (p Posted) ThreadTS() string {
	if p.Thread != "" {
		return p.Thread
	}
	return p.TS
}

// MessageRef is the Message.Ref under which a message relman did not post
// (a message shortcut's message in channel at ts) is recorded with
// PutPosted, so a Message can reply in its thread with ThreadOf.
func MessageRef(channel, ts string) string { return "msg:" + channel + ":" + ts }
