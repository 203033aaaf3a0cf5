package bot

import (
	"context"
	"testing"

	"relman/bot/blockkit"
	"relman/commands"
	"relman/store"
)

// TestAddFormErrorField runs the add command as the add-release form does
// and checks the field its refusal is shown under: the one the command's
// error names (store.Error Field), else the product.
func TestAddFormErrorField(t *testing.T) {
	s, _ := slackFixture(t)
	ctx := context.Background()
	run := func(channel, text string) commands.Reply {
		return s.Dispatcher.Command(ctx, commands.Request{User: "U1", Channel: channel, Command: "/release", Text: text})
	}
	for _, setup := range []string{"add payments 2.3.0-rc 2027-02-01", "freeze payments 2027-03-01 2027-03-07 because the audit"} {
		if r := run("C1", setup); !r.OK() {
			t.Fatalf("%s: %s", setup, r.Doc.Text)
		}
	}
	for _, tc := range []struct {
		name, channel, text string
		code, block, msg    string
	}{
		{"ExistingReleaseIsTheVersion", "C1", "add payments 2.3.0-rc 2027-02-15", store.EConflict, blockkit.BlockVersion,
			"payments@2.3.0-rc already exists (target Mon 2027-02-01, owner @U1); use /release move to change its date"},
		{"VersionOfAnotherCaseIsTheVersion", "C1", "add payments 2.3.0-RC 2027-02-15", store.EConflict, blockkit.BlockVersion,
			"payments@2.3.0-RC already exists as payments@2.3.0-rc (versions are the same whatever their case); use /release set payments@2.3.0-rc version <new> t…"},
		{"FreezeIsTheDate", "C1", "add payments 2.4.0 2027-03-03", store.EConflict, blockkit.BlockDate, ""},
		{"PastDateIsTheDate", "C1", "add payments 2.4.0 2027-01-01", store.EInvalid, blockkit.BlockDate, ""},
		{"BadDateIsTheDate", "C1", "add payments 2.4.0 someday", store.EInvalid, blockkit.BlockDate, ""},
		{"BadOwnerIsTheOwner", "C1", "add payments 2.4.0 2027-02-15 owner alex", store.EInvalid, blockkit.BlockOwner, ""},
		{"DMNewsChannelIsTheChannel", "C1", "add payments 2.4.0 2027-02-15 channel <#D0123ABCD>", store.EInvalid, blockkit.BlockChannel, ""},
		{"ChannelTwiceIsTheChannel", "C1", "add payments 2.4.0 2027-02-15 channel <#C5> channel <#C6>", store.EInvalid, blockkit.BlockChannel, ""},
		{"NoChannelInADMIsTheChannel", "D0123ABCD", "add payments 2.4.0 2027-02-15", store.EInvalid, blockkit.BlockChannel, ""},
		{"AnythingElseIsTheProduct", "C1", "add payments 2.4.0 2027-02-15 banana", store.EInvalid, blockkit.BlockProduct, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(tc.channel, tc.text)
			if r.Code != tc.code || r.Err == nil || r.Err.Code != tc.code {
				t.Fatalf("%s: code %q, Err %+v; want %q", tc.text, r.Code, r.Err, tc.code)
			}
			if got := addErrorField(r); got != tc.block {
				t.Errorf("%s: addErrorField = %q (Err.Field %q); want %q", tc.text, got, r.Err.Field, tc.block)
			}
			if tc.msg != "" {
				if got := formError(r); got != tc.msg {
					t.Errorf("%s: formError =\n%q; want\n%q", tc.text, got, tc.msg)
				}
			}
		})
	}
}

// TestFormError checks the text a form shows: the error's first line as
// plain text, cut to 150 characters, marked ⚠ when the fault is not the
// user's.
func TestFormError(t *testing.T) {
	long := ""
	for len(long) < 200 {
		long += "0123456789"
	}
	for _, tc := range []struct {
		name string
		err  *store.Error
		want string
	}{
		{"MentionsReadAsAt", &store.Error{Code: store.EInvalid, Message: "<@U777> can't own <#C5>: & so on"}, "@U777 can't own #C5: & so on"},
		{"FirstLineOnly", &store.Error{Code: store.EInvalid, Message: "first\nsecond"}, "first"},
		{"Long", &store.Error{Code: store.EInvalid, Message: long}, long[:149] + "…"},
		{"UnavailableIsMarked", store.ErrUnavailable.(*store.Error), "⚠ " + store.ErrorMessage(store.ErrUnavailable)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := formError(commands.Reply{Code: tc.err.Code, Err: tc.err}); got != tc.want {
				t.Errorf("formError(%q) = %q; want %q", tc.err.Message, got, tc.want)
			}
		})
	}
}
