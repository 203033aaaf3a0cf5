package outbox

import (
	"context"
	"errors"

	"relman/bot/timeline"
	"relman/store"
)

// PictureSender is a Sender that can post a message together with a
// picture (a PNG file), as Slack's file upload does. An error it returns
// as a Permanent *DeliveryError means the picture cannot go this way and
// a retry would not help; the message can still go as text (Send).
type PictureSender interface {
	SendPicture(ctx context.Context, m *store.Message, png []byte, thread *store.Posted) (store.Posted, error)
}

// DefaultMaxPicture is Outbox.MaxPicture's default: 5 MB. Slack takes
// files up to 1 GB, but a timeline is a chart of some 100 KB, and one
// many times that is a runaway that should not go out in a channel.
const DefaultMaxPicture = 5 << 20

// pictureTries is how many attempts an upload that failed for a passing
// reason (429, a server error, a timeout) gets before the message's text
// goes alone.
const pictureTries = 3

// send delivers m (Sender.Send), with its picture when it has one and the
// Sender can post pictures. The picture is drawn now, from the timeline
// composed when m was queued: the outbox stores a few KB of what to draw,
// not the PNG, and reads its whole queue on every flush. When the picture
// cannot be drawn, is larger than MaxPicture, or its upload fails (a Slack
// error at once; a passing failure after pictureTries attempts), the text
// goes alone, and the log says why: a picture never costs its message.
// Edits, and messages others refer to (Ref: an upload does not say where
// its message landed), go as text.
func (o *Outbox) send(ctx context.Context, m *store.Message, thread, update *store.Posted) (store.Posted, error) {
	ps, ok := o.Sender.(PictureSender)
	if m.Picture == nil || update != nil || m.Ref != "" || !ok {
		return o.Sender.Send(ctx, m, thread, update)
	}
	log := o.log().With("message", m.ID, "channel", m.Channel)
	png, err := timeline.Render(m.Picture)
	if err != nil {
		log.Error("timeline picture could not be drawn; posting the text alone", "err", err)
		o.metrics().OutboxPicture("render_failed")
		return o.Sender.Send(ctx, m, thread, nil)
	}
	limit := o.MaxPicture
	if limit <= 0 {
		limit = DefaultMaxPicture
	}
	if len(png) > limit {
		log.Warn("timeline picture too large to post; posting the text alone", "bytes", len(png), "limit", limit)
		o.metrics().OutboxPicture("too_big")
		return o.Sender.Send(ctx, m, thread, nil)
	}
	at, err := ps.SendPicture(ctx, m, png, thread)
	if err == nil {
		o.metrics().OutboxPicture("posted")
		return at, nil
	}
	var de *DeliveryError
	passing := errors.As(err, &de) && !de.Permanent
	if passing && m.Attempts+1 < pictureTries {
		return at, err // retried like any message, honouring Retry-After
	}
	log.Warn("timeline picture upload failed; posting the text alone", "attempt", m.Attempts+1, "err", err)
	o.metrics().OutboxPicture("upload_failed")
	return o.Sender.Send(ctx, m, thread, nil)
}
