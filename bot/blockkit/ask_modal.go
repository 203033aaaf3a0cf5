package blockkit

import (
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"relman/store"
)

// AskCallback is the callback_id of the modal an ask button opens (see
// render.AskButton); route its view_submission by it.
const AskCallback = "relman.ask"

// Block IDs of the ask modal's inputs, for AskValues and FieldErrors.
const (
	BlockAskDate   = "date"
	BlockAskReason = "reason"
)

// maxTitle is the longest title Slack accepts on a modal, and
// maxModalBlocks the most blocks.
const (
	maxTitle       = 24
	maxModalBlocks = 100
)

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
// AskModal was given; Preview when its "Preview first" box (WithPreview)
// was ticked.
type AskValues struct {
	Date, Reason, Metadata string
	Preview                bool
}

// ParseAsk reads an ask modal's view_submission.
func ParseAsk(view slack.View) AskValues {
	v := AskValues{Metadata: view.PrivateMetadata}
	if view.State == nil {
		return v
	}
	v.Date = strings.TrimSpace(view.State.Values[BlockAskDate][ActionValue].SelectedDate)
	v.Reason = strings.TrimSpace(view.State.Values[BlockAskReason][ActionValue].Value)
	for _, o := range view.State.Values[BlockAskPreview][ActionValue].SelectedOptions {
		v.Preview = v.Preview || o.Value == AskPreviewValue
	}
	return v
}

// BlockAskPreview is the block ID of the ask modal's "Preview first"
// checkbox (WithPreview); its one option's value is AskPreviewValue.
const (
	BlockAskPreview = "preview"
	AskPreviewValue = "preview"
)

// WithPreview adds to an ask modal a "Preview first" checkbox, ticked:
// submitted ticked, the form answers with what the command would do
// (PreviewModal) and runs it only when that is submitted.
func WithPreview(v slack.ModalViewRequest) slack.ModalViewRequest {
	opt := slack.NewOptionBlockObject(AskPreviewValue, plain("Preview first"),
		plain("See who would be late, who is newly at risk and who hears of it, before anything is saved."))
	box := slack.NewCheckboxGroupsBlockElement(ActionValue, opt)
	box.InitialOptions = []*slack.OptionBlockObject{opt}
	blocks := append(slices.Clone(v.Blocks.BlockSet), slack.NewInputBlock(BlockAskPreview, plain("Before saving"), nil, box).WithOptional(true))
	v.Blocks = slack.Blocks{BlockSet: blocks}
	return v
}

// PreviewModal is the step a previewing ask modal answers with
// (response_action update): doc, what the command would do, without its
// buttons, under title; submitting it ("Move it", submit) runs the
// command. metadata travels in private_metadata, as in AskModal.
func PreviewModal(title string, doc store.Doc, submit, metadata string) slack.ModalViewRequest {
	doc.Buttons = nil // the modal's own submit button takes their place
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(clipPlain(modalTitle(title), maxTitle)),
		Submit:          plain(clipPlain(submit, maxTitle)),
		Close:           plain("Cancel"),
		CallbackID:      AskCallback,
		PrivateMetadata: metadata,
		Blocks:          slack.Blocks{BlockSet: fit(parts(doc, false), maxModalBlocks)},
	}
}

// RefusedModal is what a preview modal answers with when its command is
// refused on submission (the state changed since the preview): the
// refusal, and a Close button; it has no inputs for field errors.
func RefusedModal(title string, doc store.Doc) slack.ModalViewRequest {
	doc.Buttons = nil
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      plain(clipPlain(modalTitle(title), maxTitle)),
		Close:      plain("Close"),
		CallbackID: AskCallback,
		Blocks:     slack.Blocks{BlockSet: fit(parts(doc, false), maxModalBlocks)},
	}
}

func modalTitle(title string) string {
	if blank(title) {
		return "relman" // Slack refuses a modal without a title
	}
	return strings.TrimSpace(title)
}
