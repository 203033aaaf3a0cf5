package commands_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
)

// TestFreezeNews: a freeze made or removed is posted in the channels of the
// planned releases targeted inside it, once in each, naming that channel's
// releases; a freeze of every product also where the command was typed.
func TestFreezeNews(t *testing.T) {
	setup := func(t *testing.T) *commands.Service {
		svc := MustService(t, root)
		MustFixture(t, svc) // payments@2.3.0 Fri 2027-01-15 in CPAY, auth@1.4.0 Fri 2027-01-08 in CAUTH, mobile@5.0 Fri 2027-01-29 in CMOB
		MustDo(t, svc, alice, "/release add payments 2.4.0 2027-01-14 channel <#CPAY|>")
		MustDo(t, svc, alice, "/release add payments 2.5.0 2027-01-13 channel <#CPAY|>")
		MustDo(t, svc, alice, "/release ship payments@2.5.0")
		return svc
	}
	for _, tc := range []struct {
		name, as, channel, line string
		want                    []string // recipients, in order
		text                    map[string][]string
		absent                  map[string][]string
	}{
		{name: "ProductFreezeInItsReleasesChannelsOnce", line: "/release freeze payments 2027-01-14 2027-01-20 because the PCI audit",
			want: []string{"#CPAY"},
			text: map[string][]string{"CPAY": {
				":snowflake: <@UROOT> froze payments from Thu 2027-01-14 to Wed 2027-01-20 (*FZ-1*): “the PCI audit”. No release of payments can be targeted inside it",
				"Targeted inside it (they stay where they are):\n• *payments@2.4.0* — Thu 2027-01-14 · <@UALICE>\n• *payments@2.3.0* — Fri 2027-01-15 · <@UALICE>",
			}},
			absent: map[string][]string{"CPAY": {"payments@2.5.0"}}}, // shipped: not stopped by it
		{name: "ProductFreezeTouchingNothingIsPostedNowhere", line: "/release freeze payments 2027-03-01 2027-03-05 because the PCI audit"},
		{name: "AllInTheTypedChannelFirst", line: "/release freeze all 2027-01-08 2027-01-15 because the offsite",
			want: []string{"#CREL", "#CAUTH", "#CPAY"},
			text: map[string][]string{
				"CREL":  {":snowflake: <@UROOT> froze all products from Fri 2027-01-08 to Fri 2027-01-15 (*FZ-1*): “the offsite”"},
				"CAUTH": {"• *auth@1.4.0* — Fri 2027-01-08"},
			},
			absent: map[string][]string{"CREL": {"Targeted inside it"}, "CAUTH": {"payments"}}},
		{name: "AllTypedInADMIsNotPostedThere", channel: "DROOT", line: "/release freeze all 2027-03-01 2027-03-05 because the offsite"},
		{name: "RemovedInTheSameChannels", line: "/release freeze remove FZ-1",
			want: []string{"#CPAY"},
			text: map[string][]string{"CPAY": {
				":snowflake: <@UROOT> removed *FZ-1* (payments, from Thu 2027-01-14 to Wed 2027-01-20: “the audit”); its days can be targeted again.",
				"No longer inside a freeze:\n• *payments@2.4.0* — Thu 2027-01-14 · <@UALICE>",
			}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := setup(t)
			if strings.Contains(tc.line, "remove") {
				MustDo(t, svc, root, "/release freeze payments 2027-01-14 2027-01-20 because the audit")
			}
			before := MustSnapshot(t, svc.Store)
			req := request(root, tc.line)
			if tc.channel != "" {
				req.Channel = tc.channel
			}
			r := svc.Execute(context.Background(), req)
			if !r.OK() {
				t.Fatalf("%s: %s", tc.line, r.Doc.Text)
			}
			msgs := MustNewMessages(t, svc, before)
			if diff := cmp.Diff(tc.want, recipients(msgs)); diff != "" {
				t.Errorf("posted in (-want +got):\n%s", diff)
			}
			if len(tc.want) > 0 && !strings.Contains(r.Doc.Text, "Posted in ") {
				t.Errorf("reply does not say where it was posted:\n%s", r.Doc.Text)
			}
			for _, m := range msgs {
				for _, w := range tc.text[m.Channel] {
					if !strings.Contains(m.Doc.Text, w) {
						t.Errorf("post in %s lacks %q:\n%s", m.Channel, w, m.Doc.Text)
					}
				}
				for _, a := range tc.absent[m.Channel] {
					if strings.Contains(m.Doc.Text, a) {
						t.Errorf("post in %s has %q:\n%s", m.Channel, a, m.Doc.Text)
					}
				}
			}
		})
	}
}

// TestProductRoleNews: a product's role change is posted in the channels of
// its planned releases, once in each.
func TestProductRoleNews(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, alice, "/release add payments 2.4.0 2027-02-01 channel <#CPAY|>")
	MustDo(t, svc, alice, "/release add payments 2.5.0 2027-02-08 channel <#CPAY2|>")
	MustDo(t, svc, alice, "/release add payments 2.6.0 2027-02-15 channel <#COLD|>")
	MustDo(t, svc, alice, "/release cancel payments@2.6.0 because merged into 2.5.0")
	before := MustSnapshot(t, svc.Store)
	r := MustDo(t, svc, root, "/release role payments product-manager <@UKIM> <@ULEE>")
	msgs := MustNewMessages(t, svc, before)
	if diff := cmp.Diff([]string{"#CPAY", "#CPAY2"}, recipients(msgs)); diff != "" {
		t.Errorf("posted in (-want +got):\n%s", diff)
	}
	if len(msgs) != 2 {
		t.Errorf("queued %d messages; want 2, one a channel", len(msgs))
	}
	for _, m := range msgs {
		if want := ":bust_in_silhouette: <@UROOT> set the product-manager of product payments: <@UKIM>, <@ULEE>"; m.Doc.Text != want {
			t.Errorf("post in %s = %q; want %q", m.Channel, m.Doc.Text, want)
		}
	}
	if want := "Posted in <#CPAY> and <#CPAY2>."; !strings.Contains(r.Doc.Text, want) {
		t.Errorf("reply lacks %q:\n%s", want, r.Doc.Text)
	}
}
