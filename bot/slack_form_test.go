package bot

import (
	"testing"

	"relman/bot/blockkit"
	"relman/store"
)

func TestAddErrorField(t *testing.T) {
	form := blockkit.AddReleaseForm{Channel: "C1", Product: "payments", Version: "2.3.0", Date: "2027-01-15", Owner: "U777", NewsChannel: "C555"}
	for _, tc := range []struct {
		name, code, msg, want string
	}{
		{"ConflictIsTheVersion", store.EConflict, "payments@2.3.0 already exists (target Fri 2027-01-15).", blockkit.BlockVersion},
		{"FreezeIsTheDate", store.EConflict, "payments is frozen from Mon 2027-01-11 to Sun 2027-01-17 (FZ-1: the audit), and Fri 2027-01-15 is inside it", blockkit.BlockDate},
		{"DateNamedIsTheDate", store.EInvalid, "Fri 2027-01-15 is in the past; add `anyway` to record it.", blockkit.BlockDate},
		{"ChannelNamedIsTheChannel", store.EInvalid, "#C555 is not a channel relman can post in.", blockkit.BlockChannel},
		{"OwnerNamedIsTheOwner", store.EInvalid, "@U777 can't own a release.", blockkit.BlockOwner},
		{"ReleaseNamedIsTheVersion", store.EInvalid, "payments@2.3.0 was deleted.", blockkit.BlockVersion},
		{"AnythingElseIsTheProduct", store.EForbidden, "Only the product's release managers may add releases of payments.", blockkit.BlockProduct},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := addErrorField(form, tc.code, tc.msg); got != tc.want {
				t.Errorf("addErrorField(%q, %q) = %q; want %q", tc.code, tc.msg, got, tc.want)
			}
		})
	}
}
