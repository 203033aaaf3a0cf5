package blockkit

import (
	"strings"

	"github.com/slack-go/slack"
)

// AskCallback is the callback_id of the modal an ask button opens (see
// commands.AskButton); route its view_submission by it.
const AskCallback = "relman.ask"

// Block IDs of the ask modal's inputs, for AskValues and FieldErrors.
const (
	BlockAskDate   = "date"
	BlockAskReason = "reason"
)

// maxTitle is the longest title Slack accepts on a modal.
const maxTitle = 24

// AskModal is the form an ask button opens: a date picker (initialDate,
// YYYY-MM-DD, preselected; "" for none) and, if reason is set, an optional
// multi-line reason, under title (shortened to Slack's 24 characters;
// "relman" when blank). metadata travels in private_metadata for AskValues.
func AskModal(title, initialDate string, reason bool, metadata string) slack.ModalViewRequest {
	date := slack.NewDatePickerBlockElement(ActionValue)
	date.Placeholder = plain("Pick the date")
	date.InitialDate = initialDate
	blocks := []slack.Block{slack.NewInputBlock(BlockAskDate, plain("New date"), nil, date)}
	if reason {
		why := slack.NewPlainTextInputBlockElement(plain("What moved it"), ActionValue).WithMaxLength(500)
		why.Multiline = true
		blocks = append(blocks, slack.NewInputBlock(BlockAskReason, plain("Reason"),
			plain("Required when the date moves later; everyone downstream reads it."), why).WithOptional(true))
	}
	if blank(title) {
		title = "relman" // Slack refuses a modal without a title
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(clipPlain(strings.TrimSpace(title), maxTitle)),
		Submit:          plain("Save"),
		Close:           plain("Cancel"),
		CallbackID:      AskCallback,
		PrivateMetadata: metadata,
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// AskValues is what was submitted in an ask modal, trimmed: the picked
// date (YYYY-MM-DD or ""), the reason ("" when none), and the metadata
// AskModal was given.
type AskValues struct {
	Date, Reason, Metadata string
}

// ParseAsk reads an ask modal's view_submission.
func ParseAsk(view slack.View) AskValues {
	v := AskValues{Metadata: view.PrivateMetadata}
	if view.State == nil {
		return v
	}
	v.Date = strings.TrimSpace(view.State.Values[BlockAskDate][ActionValue].SelectedDate)
	v.Reason = strings.TrimSpace(view.State.Values[BlockAskReason][ActionValue].Value)
	return v
}
