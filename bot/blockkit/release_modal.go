package blockkit

import (
	"strings"

	"github.com/slack-go/slack"
)

// AddReleaseCallback is the callback_id of the add-release modal; route its
// view_submission by it.
const AddReleaseCallback = "release.add"

// Block IDs of the add-release modal's inputs: the keys of
// view.state.values, and of the errors FieldErrors reports.
const (
	BlockProduct = "product"
	BlockVersion = "version"
	BlockDate    = "date"
	BlockOwner   = "owner"
	BlockChannel = "channel"
	BlockStages  = "stages"
)

// ActionValue is the action_id of every input in the add-release modal.
const ActionValue = "value"

// maxStages is the longest stage-dates text the form takes.
const maxStages = 500

// maxName is the longest product or version store accepts.
const maxName = 64

// AddReleaseModal is the modal that adds a release: product, version,
// target date (initialDate, YYYY-MM-DD, preselected; "" for none), owner
// (userID preselected) and an optional news channel, which Slack fills with
// the conversation the modal was opened from when it can. channelID, that
// conversation, travels in private_metadata for ParseAddRelease.
func AddReleaseModal(channelID, userID, initialDate string) slack.ModalViewRequest {
	product := slack.NewPlainTextInputBlockElement(plain("payments"), ActionValue).WithMaxLength(maxName)
	version := slack.NewPlainTextInputBlockElement(plain("2.3.0"), ActionValue).WithMaxLength(maxName)
	date := slack.NewDatePickerBlockElement(ActionValue)
	date.Placeholder = plain("Pick the target date")
	date.InitialDate = initialDate
	owner := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain("Who answers for it"), ActionValue).WithInitialUser(userID)
	channel := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, plain("Pick a channel"), ActionValue)
	channel.DefaultToCurrentConversation = true
	channel.Filter = &slack.SelectBlockElementFilter{Include: []string{"public", "private"}}
	stages := slack.NewPlainTextInputBlockElement(plain("test 2027-01-10, staging 2027-01-17"), ActionValue).WithMaxLength(maxStages)

	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain("Add a release"),
		Submit:          plain("Add"),
		Close:           plain("Cancel"),
		CallbackID:      AddReleaseCallback,
		PrivateMetadata: channelID,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock(BlockProduct, plain("Product"),
				plain("A lower-case slug: letters, digits, '.', '_' or '-', like payments or auth-sdk."), product),
			slack.NewInputBlock(BlockVersion, plain("Version"), nil, version),
			slack.NewInputBlock(BlockDate, plain("Target date"), nil, date),
			slack.NewInputBlock(BlockOwner, plain("Owner"), nil, owner),
			slack.NewInputBlock(BlockChannel, plain("News channel"),
				plain("Where relman posts this release's news."), channel).WithOptional(true),
			slack.NewInputBlock(BlockStages, plain("Stage dates"),
				plain("Optional: a date for stages of the product's pipeline, like test 2027-01-10, staging 2027-01-17."), stages).WithOptional(true),
		}},
	}
}

// AddReleaseForm is what a user submitted in the add-release modal, each
// value trimmed and not yet validated. An input left empty is "".
type AddReleaseForm struct {
	// Channel is the conversation the modal was opened from (its
	// private_metadata); "" when opened where there is none.
	Channel string
	Product string
	Version string
	// Date is the picked date, YYYY-MM-DD.
	Date  string
	Owner string
	// NewsChannel is the picked channel; "" if the user cleared it, in
	// which case the caller should fall back to Channel.
	NewsChannel string
	// Stages is the optional stage-dates text, like "test 2027-01-10,
	// staging 2027-01-17"; the caller checks it against the pipeline.
	Stages string
}

// ParseAddRelease reads the add-release modal's view_submission: each
// input from view.State.Values under its block ID and ActionValue (the
// plain value, selected_date, selected_user or selected_conversation), and
// Channel from view.PrivateMetadata. Missing inputs, or a view without
// state, give "".
func ParseAddRelease(view slack.View) AddReleaseForm {
	f := AddReleaseForm{Channel: strings.TrimSpace(view.PrivateMetadata)}
	if view.State == nil {
		return f
	}
	get := func(block string) slack.BlockAction { return view.State.Values[block][ActionValue] }
	f.Product = strings.TrimSpace(get(BlockProduct).Value)
	f.Version = strings.TrimSpace(get(BlockVersion).Value)
	f.Date = strings.TrimSpace(get(BlockDate).SelectedDate)
	f.Owner = strings.TrimSpace(get(BlockOwner).SelectedUser)
	f.NewsChannel = strings.TrimSpace(get(BlockChannel).SelectedConversation)
	f.Stages = strings.TrimSpace(get(BlockStages).Value)
	return f
}

// FieldErrors is the view_submission reply that shows errors under the
// modal's inputs, keyed by block ID (BlockProduct…); the modal stays open.
// Keys that are not input blocks of the view make Slack show a generic
// error instead.
func FieldErrors(errs map[string]string) *slack.ViewSubmissionResponse {
	return slack.NewErrorsViewSubmissionResponse(errs)
}
