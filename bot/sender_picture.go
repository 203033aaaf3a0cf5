package bot

import (
	"bytes"
	"context"
	"errors"

	"github.com/slack-go/slack"

	"relman/bot/blockkit"
	"relman/bot/outbox"
	"relman/store"
)

var _ outbox.PictureSender = (*SlackSender)(nil)

// SendPicture posts m with png attached, in thread's thread when set, by
// Slack's file upload (files.getUploadURLExternal, the upload itself, then
// files.completeUploadExternal sharing it with m's blocks as the message;
// it needs the files:write scope). A DM's channel is opened first. An
// error Slack answered (ok:false) is Permanent: the message can still go
// as text. The Posted it returns has no ts, which the upload does not give.
func (s *SlackSender) SendPicture(ctx context.Context, m *store.Message, png []byte, thread *store.Posted) (store.Posted, error) {
	channel, threadTS, err := s.conversation(ctx, m, thread)
	if err != nil {
		return store.Posted{}, s.classify("conversations.open", err)
	}
	title := "timeline"
	if m.Picture != nil {
		title = m.Picture.Title
	}
	_, err = s.API.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(png), FileSize: len(png), Filename: "timeline.png", Title: title, AltTxt: title,
		Channel: channel, ThreadTimestamp: threadTS,
		Blocks: slack.Blocks{BlockSet: blockkit.Blocks(m.Doc, outboxBlockPrefix(m.ID))},
	})
	if err != nil {
		de := s.classify("files.upload", err).(*outbox.DeliveryError)
		if _, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
			de.Permanent = true
		}
		return store.Posted{}, de
	}
	return store.Posted{Channel: channel, Thread: threadTS}, nil
}
