package blockkit

import (
	"strings"

	"github.com/slack-go/slack"

	"relman/store"
)

// CRShortcut is the callback_id of the message shortcut "Raise change
// request" (in both app manifests).
const CRShortcut = "ccb_request_from_message"

// CRRequestCallback is the callback_id of the modal the shortcut opens;
// route its view_submission by it.
const CRRequestCallback = "ccb.request"

// Block IDs of the raise-a-CR modal's inputs, for ParseCRRequest and
// FieldErrors.
const (
	BlockCRRelease  = "cr_release"
	BlockCRTitle    = "cr_title"
	BlockCRDeadline = "cr_deadline"
)

// maxCRTitle is the longest CR title the store accepts.
const maxCRTitle = 200

// CRRequestModal is the form that raises a change request from a message:
// the release (prefilled with release when one is guessed), the title
// (prefilled from the message) and an optional deadline. from, the
// message the CR will reply to, travels in private_metadata.
func CRRequestModal(from store.Posted, release, title string) slack.ModalViewRequest {
	rel := slack.NewPlainTextInputBlockElement(plain("payments@2.3.0"), ActionValue).WithMaxLength(2*maxName + 1)
	rel.InitialValue = release
	ttl := slack.NewPlainTextInputBlockElement(plain("What should change"), ActionValue).WithMaxLength(maxCRTitle)
	ttl.InitialValue = title
	deadline := slack.NewPlainTextInputBlockElement(plain("+48h, +3d, fri or 2027-01-15"), ActionValue).WithMaxLength(20)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain("Raise change request"),
		Submit:          plain("Raise"),
		Close:           plain("Cancel"),
		CallbackID:      CRRequestCallback,
		PrivateMetadata: strings.Join([]string{from.Channel, from.TS, from.Thread}, " "),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock(BlockCRRelease, plain("Release"), plain("The release the change is for, like payments@2.3.0."), rel),
			slack.NewInputBlock(BlockCRTitle, plain("Title"), nil, ttl),
			slack.NewInputBlock(BlockCRDeadline, plain("Deadline"),
				plain("When voting closes; empty for the board's default."), deadline).WithOptional(true),
		}},
	}
}

// CRRequestForm is what was submitted in the raise-a-CR modal, trimmed.
type CRRequestForm struct {
	// From is the message the CR replies to; From.Channel is "" when the
	// metadata is missing.
	From                     store.Posted
	Release, Title, Deadline string
}

// ParseCRRequest reads the raise-a-CR modal's view_submission.
func ParseCRRequest(view slack.View) CRRequestForm {
	var f CRRequestForm
	meta := strings.Fields(view.PrivateMetadata)
	if len(meta) >= 2 {
		f.From = store.Posted{Channel: meta[0], TS: meta[1]}
		if len(meta) >= 3 {
			f.From.Thread = meta[2]
		}
	}
	if view.State == nil {
		return f
	}
	get := func(block string) string { return strings.TrimSpace(view.State.Values[block][ActionValue].Value) }
	f.Release, f.Title, f.Deadline = get(BlockCRRelease), get(BlockCRTitle), get(BlockCRDeadline)
	return f
}
