package commands_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
	"relman/store/storetest"
)

// MustDoAll runs each line as user, failing tb at the first that fails.
func MustDoAll(tb testing.TB, svc *commands.Service, user string, lines ...string) {
	tb.Helper()
	for _, l := range lines {
		MustDo(tb, svc, user, l)
	}
}

// MustPutReleases stores n planned releases of alice directly through the
// store API, in one transaction: product(i) names the product of the i-th,
// whose version is 1.<i> and whose target is 1 to 60 days after epoch.
func MustPutReleases(tb testing.TB, st *store.Store, n int, product func(i int) string) {
	tb.Helper()
	today := store.DateOf(epoch, time.UTC)
	err := st.Update(context.Background(), alice, epoch, func(tx *store.Tx) error {
		seen := map[string]bool{}
		for i := range n {
			p := product(i)
			if !seen[p] {
				seen[p] = true
				if err := tx.PutProduct("product.create", &store.Product{Name: p, CreatedAt: epoch, CreatedBy: alice}); err != nil {
					return err
				}
			}
			r := &store.Release{
				Ref: store.Ref{Product: p, Version: fmt.Sprintf("1.%d", i)}, Target: today.AddDays(1 + i*7%60),
				Owner: alice, Channel: defaultChannel, Status: store.Planned, CreatedAt: epoch, CreatedBy: alice,
			}
			if err := tx.PutRelease("release.add", r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("put %d releases: %v", n, err)
	}
}

// refRE finds the releases a reply names: *payments@2.3.0*.
var refRE = regexp.MustCompile(`\*([a-z0-9][a-z0-9._-]*@[0-9A-Za-z._+-]+)\*`)

// refsIn returns the releases named in text, in order.
func refsIn(text string) []string {
	var out []string
	for _, m := range refRE.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// MustNewMessages returns the messages queued after before was taken.
func MustNewMessages(tb testing.TB, svc *commands.Service, before Snapshot) []store.Message {
	tb.Helper()
	return MustOutbox(tb, svc.Store)[len(before.Outbox):]
}

func TestAdd(t *testing.T) {
	t.Run("DefaultsOwnerAndChannelToCaller", func(t *testing.T) {
		svc := MustService(t)
		MustDo(t, svc, alice, "/release add payments 2.3.0 2027-01-15")
		got := MustRelease(t, svc.Store, "payments@2.3.0")
		want := &store.Release{
			Ref: store.Ref{Product: "payments", Version: "2.3.0"}, Target: MustDate(t, "2027-01-15"), Owner: alice, Channel: defaultChannel,
			Status: store.Planned, CreatedAt: epoch, CreatedBy: alice,
			History: []store.HistoryEntry{{Kind: "added", To: MustDate(t, "2027-01-15"), By: alice, At: epoch}},
		}
		if diff := cmp.Diff(want, got, cmpDates); diff != "" {
			t.Errorf("release after add mismatch (-want +got):\n%s", diff)
		}
		s := MustSnapshot(t, svc.Store)
		if len(s.Products) != 1 || s.Products[0].Name != "payments" || s.Products[0].CreatedBy != alice {
			t.Errorf("products after add = %+v; want payments, created by %s", s.Products, alice)
		}
		if s.AuditLen != 2 {
			t.Errorf("audit entries after add = %d; want 2 (product.create, release.add)", s.AuditLen)
		}
	})
	t.Run("TakesOwnerAndChannel", func(t *testing.T) {
		svc := MustService(t)
		MustDo(t, svc, alice, "/release add payments 2.3.0 fri owner <@UBOB|bob> channel <#CPAY|payments>")
		got := MustRelease(t, svc.Store, "payments@2.3.0")
		if got.Owner != bob || got.Channel != "CPAY" || got.CreatedBy != alice || got.Target != MustDate(t, "2027-01-08") {
			t.Errorf("release = owner %s, channel %s, created by %s, target %s; want %s, CPAY, %s, 2027-01-08", got.Owner, got.Channel, got.CreatedBy, got.Target, bob, alice)
		}
	})
	t.Run("CreatesProductOnce", func(t *testing.T) {
		svc := MustService(t)
		MustDoAll(t, svc, alice, "/release add payments 2.3.0 fri", "/release add payments 2.4.0 +3w")
		if s := MustSnapshot(t, svc.Store); len(s.Products) != 1 || len(s.Releases) != 2 {
			t.Errorf("after two adds: %d products, %d releases; want 1, 2", len(s.Products), len(s.Releases))
		}
	})
}

func TestList(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDoAll(t, svc, alice,
		"/release move auth@1.4.0 2027-01-20 because vendor delay", // payments (and so mobile) now at risk
		"/release add legacy 0.9 2027-01-01 anyway",
		"/release ship legacy@0.9 on 2027-01-02 anyway",
		"/release add payments 2.2.9 2027-01-05",
		"/release cancel payments@2.2.9 because folded into 2.3.0",
		"/release role payments release-engineer <@UBOB>",
	)
	MustDo(t, svc, bob, "/release add billing 1.0 2027-02-15")
	tests := []struct {
		name string
		as   string
		line string
		want []string
	}{
		{"ListsPlannedByDate", alice, "/release list", []string{"payments@2.3.0", "auth@1.4.0", "mobile@5.0", "billing@1.0"}},
		{"ListsAtRisk", alice, "/release list at-risk", []string{"payments@2.3.0", "mobile@5.0"}},
		{"ListsMineAsOwner", alice, "/release list mine", []string{"payments@2.3.0", "auth@1.4.0", "mobile@5.0"}},
		{"ListsMineByOwnershipAndRole", bob, "/release list mine", []string{"payments@2.3.0", "billing@1.0"}},
		{"ListsShipped", alice, "/release list shipped", []string{"legacy@0.9"}},
		{"ListsAll", alice, "/release list all", []string{"legacy@0.9", "payments@2.2.9", "payments@2.3.0", "auth@1.4.0", "mobile@5.0", "billing@1.0"}},
		{"ListsProduct", alice, "/release list payments", []string{"payments@2.3.0"}},
		{"ListsProductAll", alice, "/release list all payments", []string{"payments@2.2.9", "payments@2.3.0"}},
		{"ListsProductAtRiskMine", bob, "/release list payments at-risk mine", []string{"payments@2.3.0"}},
		{"ListsNothingAtRiskForBilling", alice, "/release list billing at-risk", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MustDo(t, svc, tt.as, tt.line)
			if diff := cmp.Diff(tt.want, refsIn(r.Doc.Text)); diff != "" {
				t.Errorf("Execute(%q as %s) releases mismatch (-want +got):\n%s\nreply:\n%s", tt.line, tt.as, diff, r.Doc.Text)
			}
		})
	}
	t.Run("MarksStatus", func(t *testing.T) {
		r := MustDo(t, svc, alice, "/release list all")
		for _, w := range []string{
			":white_check_mark: *legacy@0.9* — Sat 2027-01-02 (2 days ago) · <@UALICE> · shipped",
			":no_entry_sign: *payments@2.2.9* — Tue 2027-01-05 (tomorrow) · <@UALICE> · cancelled",
			":warning: *payments@2.3.0* — Fri 2027-01-15 (in 11 days) · <@UALICE> · *at risk*",
			":calendar: *billing@1.0* — Mon 2027-02-15 (in 42 days) · <@UBOB>",
		} {
			if !strings.Contains(r.Doc.Text, w) {
				t.Errorf("list all lacks %q:\n%s", w, r.Doc.Text)
			}
		}
	})
	t.Run("SaysWhenEmpty", func(t *testing.T) {
		r := MustDo(t, svc, alice, "/release list billing at-risk")
		if !strings.Contains(r.Doc.Text, "No planned releases of billing are at risk.") {
			t.Errorf("empty list reply = %q; want it to say which filter matched nothing", r.Doc.Text)
		}
	})
}

func TestListCutsAtLimit(t *testing.T) {
	svc := MustService(t)
	const extra = 7
	MustPutReleases(t, svc.Store, commands.ListLimit+extra, func(int) string { return "bulk" })
	r := MustDo(t, svc, alice, "/release list")
	refs := refsIn(r.Doc.Text)
	if len(refs) != commands.ListLimit {
		t.Errorf("list shows %d releases; want ListLimit = %d", len(refs), commands.ListLimit)
	}
	if r.Doc.More != extra {
		t.Errorf("list Doc.More = %d; want %d", r.Doc.More, extra)
	}
	if want := fmt.Sprintf("…and %d more — narrow it with `/release list &lt;product&gt;`", extra); !strings.HasSuffix(r.Doc.Text, want) {
		t.Errorf("list text ends %q; want it to end %q", r.Doc.Text[max(0, len(r.Doc.Text)-40):], want)
	}
	// Sorted by date: the shown ones are the earliest.
	var last store.Date
	for _, ref := range refs {
		d := MustRelease(t, svc.Store, ref).Target
		if d.Before(last) {
			t.Fatalf("list is not sorted by date: %s (%s) after %s", ref, d, last)
		}
		last = d
	}
	for _, s := range r.Doc.Sections {
		if n := len(s.Text); n > 3000 {
			t.Errorf("list section is %d bytes; Slack allows 3000", n)
		}
	}
}

func TestShow(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	MustDoAll(t, svc, alice,
		"/release move auth@1.4.0 2027-01-20 because vendor delay",
		"/release role payments product-manager <@UPM>",
		"/release role payments@2.3.0 release-engineer <@URE>",
	)
	r := MustDo(t, svc, alice, "/release show payments 2.3.0")
	for _, w := range []string{
		"*Target:* Fri 2027-01-15 (in 11 days)",
		"*Status:* planned — :warning: *at risk*",
		"*Owner:* <@UALICE>",
		"*Channel:* <#CPAY>",
		"*Release manager:* <@UALICE>",
		"*Release engineer:* <@URE>",
		"*Product manager:* <@UPM>",
		"• *auth@1.4.0* needed by Fri 2027-01-15, due Wed 2027-01-20 — :warning: *late (5 days)*",
		"*At risk because:*\n• *auth@1.4.0* slipped 5 days past its needed-by Fri 2027-01-15 (moved by <@UALICE> on Mon 2027-01-04: “vendor delay”)",
		"*Needed by:*\n• *mobile@5.0* by Fri 2027-01-29 — on track (14 days to spare)",
	} {
		if !strings.Contains(r.Doc.Text, w) {
			t.Errorf("show lacks %q:\n%s", w, r.Doc.Text)
		}
	}
	if r.Doc.Header != "payments@2.3.0" {
		t.Errorf("show Doc.Header = %q; want %q", r.Doc.Header, "payments@2.3.0")
	}
}

func TestMove(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	before := MustSnapshot(t, svc.Store)
	r := MustDo(t, svc, alice, "/release move payments@2.3.0 2027-02-01 because the PCI audit moved")
	if want := ":warning: Now late for:\n• *mobile@5.0* needs it by Fri 2027-01-29 — :warning: *late (3 days)*"; !strings.Contains(r.Doc.Text, want) {
		t.Errorf("move reply lacks %q:\n%s", want, r.Doc.Text)
	}
	got := MustRelease(t, svc.Store, "payments@2.3.0")
	wantH := store.HistoryEntry{Kind: "moved", From: MustDate(t, "2027-01-15"), To: MustDate(t, "2027-02-01"), By: alice, At: epoch, Reason: "the PCI audit moved"}
	if got.Target != MustDate(t, "2027-02-01") || len(got.History) != 3 { // added, depended, moved
		t.Fatalf("after move: target %s, %d history entries; want 2027-02-01, 3", got.Target, len(got.History))
	}
	if diff := cmp.Diff(wantH, got.History[2], cmpDates); diff != "" {
		t.Errorf("history entry of move mismatch (-want +got):\n%s", diff)
	}
	msgs := MustNewMessages(t, svc, before)
	// The news in payments' channel, then the slip alert in mobile's
	// channel; not by DM to its release manager (its owner), who made the
	// move herself.
	if len(msgs) != 2 || msgs[1].Channel != "CMOB" {
		t.Fatalf("move queued %d messages; want 2: the news, and the slip alert to CMOB (no DM to %s, who moved it)", len(msgs), alice)
	}
	for _, w := range []string{
		":arrow_right: <@UALICE> moved *payments@2.3.0* later, from Fri 2027-01-15 to Mon 2027-02-01 (17 days later) because the PCI audit moved",
		"• *mobile@5.0* (owner <@UALICE>) needs it by Fri 2027-01-29 — :warning: *late (3 days)*",
		":warning: 1 release newly at risk: *mobile@5.0* — see `/release impact payments@2.3.0`.",
	} {
		if !strings.Contains(msgs[0].Doc.Text, w) {
			t.Errorf("move message lacks %q:\n%s", w, msgs[0].Doc.Text)
		}
	}
	if msgs[0].Channel != "CPAY" || !msgs[0].CreatedAt.Equal(epoch) {
		t.Errorf("move message to %s at %v; want CPAY at %v", msgs[0].Channel, msgs[0].CreatedAt, epoch)
	}

	t.Run("EarlierNeedsNoReason", func(t *testing.T) {
		before := MustSnapshot(t, svc.Store)
		MustDo(t, svc, alice, "/release move payments@2.3.0 2027-01-20")
		msgs := MustNewMessages(t, svc, before)
		// mobile@5.0 is on track again: the news, and the recovery alert to
		// mobile's channel (its owner fixed it herself: no DM).
		if len(msgs) != 2 || !strings.Contains(msgs[0].Doc.Text, "moved *payments@2.3.0* earlier, from Mon 2027-02-01 to Wed 2027-01-20 (12 days earlier)") ||
			!strings.HasPrefix(msgs[1].Doc.Text, ":white_check_mark: *Back on track*: *mobile@5.0* needs *payments@2.3.0*") {
			t.Fatalf("move earlier queued %+v; want the news saying it moved earlier, and the recovery alert", msgs)
		}
		if strings.Contains(msgs[0].Doc.Text, "because") {
			t.Errorf("move earlier message gives a reason nobody gave:\n%s", msgs[0].Doc.Text)
		}
	})
}

func TestShip(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	before := MustSnapshot(t, svc.Store)
	MustDo(t, svc, alice, "/release ship auth@1.4.0 on 2027-01-03 anyway")
	got := MustRelease(t, svc.Store, "auth@1.4.0")
	if got.Status != store.Shipped || got.ShippedOn != MustDate(t, "2027-01-03") || got.Date() != MustDate(t, "2027-01-03") {
		t.Errorf("after ship: status %s, shipped on %s, date %s; want shipped, 2027-01-03, 2027-01-03", got.Status, got.ShippedOn, got.Date())
	}
	msgs := MustNewMessages(t, svc, before)
	if want := ":rocket: <@UALICE> shipped *auth@1.4.0* on Sun 2027-01-03 (5 days early)\nDelivered for:\n• *payments@2.3.0* (owner <@UALICE>) needs it by Fri 2027-01-15 — delivered on time"; len(msgs) != 1 || msgs[0].Channel != "CAUTH" || msgs[0].Doc.Text != want {
		t.Errorf("ship queued %+v; want one message to CAUTH: %q", msgs, want)
	}
	t.Run("RejectsShippingTwice", func(t *testing.T) {
		r := MustFail(t, svc, alice, "/release ship auth@1.4.0", store.EConflict)
		if want := "auth@1.4.0 is shipped; only planned releases can be shipped"; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("second ship reply lacks %q:\n%s", want, r.Doc.Text)
		}
	})
	t.Run("RejectsMovingShipped", func(t *testing.T) {
		MustFail(t, svc, alice, "/release move auth@1.4.0 +3w because x", store.EConflict)
	})
	t.Run("CountsAsDelivered", func(t *testing.T) {
		r := MustDo(t, svc, alice, "/release show payments@2.3.0")
		if want := "*auth@1.4.0* needed by Fri 2027-01-15, shipped Sun 2027-01-03 — delivered"; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("show after ship lacks %q:\n%s", want, r.Doc.Text)
		}
	})
}

func TestCancel(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	before := MustSnapshot(t, svc.Store)
	r := MustDo(t, svc, alice, "/release cancel payments@2.3.0 because merged into 2.4.0")
	if want := "*mobile@5.0* depended on it and is now at risk."; !strings.Contains(r.Doc.Text, want) {
		t.Errorf("cancel reply lacks %q:\n%s", want, r.Doc.Text)
	}
	got := MustRelease(t, svc.Store, "payments@2.3.0")
	if got.Status != store.Cancelled || got.History[len(got.History)-1].Reason != "merged into 2.4.0" {
		t.Errorf("after cancel: status %s, history %+v; want cancelled with the reason", got.Status, got.History)
	}
	msgs := MustNewMessages(t, svc, before)
	if len(msgs) != 2 || msgs[0].Channel != "CPAY" || msgs[1].Channel != "CMOB" || !strings.HasPrefix(msgs[1].Doc.Text, ":no_entry_sign: *Provider cancelled*") {
		t.Fatalf("cancel queued %+v; want the news to CPAY, then the provider-cancelled alert to CMOB (not to its owner, who cancelled)", msgs)
	}
	if want := ":no_entry_sign: <@UALICE> cancelled *payments@2.3.0* because merged into 2.4.0\n:warning: These releases depend on it:\n• *mobile@5.0* (owner <@UALICE>) needs it by Fri 2027-01-29 — :no_entry_sign: *provider cancelled*"; msgs[0].Doc.Text != want {
		t.Errorf("cancel message = %q; want %q", msgs[0].Doc.Text, want)
	}
	t.Run("PutsDependentsAtRisk", func(t *testing.T) {
		r := MustDo(t, svc, alice, "/release list at-risk")
		if diff := cmp.Diff([]string{"mobile@5.0"}, refsIn(r.Doc.Text)); diff != "" {
			t.Errorf("at-risk after cancel mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("RejectsCancellingTwice", func(t *testing.T) {
		MustFail(t, svc, alice, "/release cancel payments@2.3.0 because again", store.EConflict)
	})
}

func TestDepend(t *testing.T) {
	t.Run("RecordsRelease", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		before := MustSnapshot(t, svc.Store)
		MustDo(t, svc, alice, "/release depend mobile@5.0 on auth@1.4.0 by 2027-01-20")
		after := MustSnapshot(t, svc.Store)
		want := store.Dependency{
			Consumer: store.Ref{Product: "mobile", Version: "5.0"}, Provider: store.Ref{Product: "auth", Version: "1.4.0"},
			NeededBy: MustDate(t, "2027-01-20"), CreatedAt: epoch, CreatedBy: alice,
		}
		if !slices.ContainsFunc(after.Dependencies, func(d store.Dependency) bool { return cmp.Equal(want, d, cmpDates) }) {
			t.Errorf("dependencies after depend = %+v; want them to hold %+v", after.Dependencies, want)
		}
		msgs := after.Outbox[len(before.Outbox):]
		if want := ":link: <@UALICE>: *mobile@5.0* now depends on *auth@1.4.0* needed by Wed 2027-01-20, due Fri 2027-01-08 — on track (12 days to spare)"; len(msgs) != 1 || msgs[0].Channel != "CMOB" || msgs[0].Doc.Text != want {
			t.Errorf("depend queued %+v; want one message to CMOB: %q", msgs, want)
		}
	})
	t.Run("CreatesExternal", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		before := MustSnapshot(t, svc.Store)
		MustDo(t, svc, alice, "/release depend auth@1.4.0 on external “Okta  API” due 2027-01-12 owner <@USAM|sam>")
		after := MustSnapshot(t, svc.Store)
		if len(after.Externals) != 2 {
			t.Fatalf("externals after depend = %d; want 2", len(after.Externals))
		}
		var okta store.External
		for _, x := range after.Externals {
			if x.Name == "Okta  API" {
				okta = x
			}
		}
		if okta.Owner != sam || okta.Due != MustDate(t, "2027-01-12") || !okta.LastConfirmed.Equal(epoch) || okta.CreatedBy != alice {
			t.Errorf("external = %+v; want owner %s, due 2027-01-12, confirmed and created now by %s", okta, sam, alice)
		}
		if !slices.ContainsFunc(after.Dependencies, func(d store.Dependency) bool { return d.External == "okta api" && d.Consumer.Key() == "auth@1.4.0" }) {
			t.Errorf("dependencies = %+v; want auth@1.4.0 → external okta api", after.Dependencies)
		}
		msgs := after.Outbox[len(before.Outbox):]
		// The news (auth's channel needs no slip alert besides; its owner
		// recorded the dependency and is not DMed of it), and the upcoming
		// nudge to the item's owner (needed in 4 days).
		if want := "*auth@1.4.0* now depends on external “Okta  API” needed by Fri 2027-01-08, due Tue 2027-01-12 — :warning: *late (4 days)*"; len(msgs) != 2 || msgs[0].Channel != "CAUTH" || !strings.Contains(msgs[0].Doc.Text, want) {
			t.Fatalf("depend queued %+v; want 2 messages, the first to CAUTH with %q", msgs, want)
		}
		if m := msgs[1]; m.Channel != sam || !m.DM || !m.Quiet || len(m.Doc.Buttons) != 2 {
			t.Errorf("last message %+v; want the upcoming nudge to %s with two buttons", m, sam)
		}
	})
	t.Run("ExternalOwnerDefaultsToCaller", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		MustDo(t, svc, alice, `/release depend auth@1.4.0 on external "Okta" due fri`)
		s := MustSnapshot(t, svc.Store)
		if i := slices.IndexFunc(s.Externals, func(x store.External) bool { return x.Name == "Okta" }); i < 0 || s.Externals[i].Owner != alice {
			t.Errorf("externals = %+v; want Okta owned by %s", s.Externals, alice)
		}
	})
	t.Run("RejectsCycleWithPath", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		r := MustFail(t, svc, alice, "/release depend auth@1.4.0 on mobile 5.0", store.EConflict)
		if want := ":x: that would close a cycle: auth@1.4.0 → mobile@5.0 → payments@2.3.0 → auth@1.4.0\n"; !strings.HasPrefix(r.Doc.Text, want) {
			t.Errorf("cycle reply = %q; want it to start %q", r.Doc.Text, want)
		}
	})
}

func TestUndepend(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	before := MustSnapshot(t, svc.Store)
	MustDoAll(t, svc, alice, "/release undepend mobile@5.0 on payments@2.3.0", `/release undepend mobile@5.0 on external "STRIPE SDK"`)
	after := MustSnapshot(t, svc.Store)
	var left []string
	for _, d := range after.Dependencies {
		left = append(left, d.Key())
	}
	if diff := cmp.Diff([]string{"payments@2.3.0 auth@1.4.0"}, left); diff != "" {
		t.Errorf("dependencies after undepend mismatch (-want +got):\n%s", diff)
	}
	msgs := after.Outbox[len(before.Outbox):]
	if len(msgs) != 2 || msgs[0].Channel != "CMOB" || !strings.Contains(msgs[1].Doc.Text, "no longer depends on external “STRIPE SDK”") {
		t.Errorf("undepend queued %+v; want two messages to CMOB", msgs)
	}
	if len(after.Externals) != 1 {
		t.Errorf("undepend removed the external item itself: %+v", after.Externals)
	}
}

func TestConfirm(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	later := svc.Clock.(*store.FakeClock).Advance(48 * time.Hour)

	t.Run("RecordsConfirmation", func(t *testing.T) {
		before := MustSnapshot(t, svc.Store)
		r := MustDo(t, svc, sam, `/release confirm external "Stripe SDK"`)
		if want := "Confirmed external “Stripe SDK” is still due Wed 2027-01-20 (in 14 days)"; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("confirm reply lacks %q:\n%s", want, r.Doc.Text)
		}
		after := MustSnapshot(t, svc.Store)
		x := after.Externals[0]
		if !x.LastConfirmed.Equal(later) || x.Due != MustDate(t, "2027-01-20") {
			t.Errorf("after confirm: last confirmed %v, due %s; want %v, 2027-01-20", x.LastConfirmed, x.Due, later)
		}
		if n := len(after.Outbox) - len(before.Outbox); n != 0 {
			t.Errorf("confirming the same date queued %d messages; want none", n)
		}
	})
	t.Run("TellsDependentsOfNewDate", func(t *testing.T) {
		before := MustSnapshot(t, svc.Store)
		r := MustDo(t, svc, sam, "/release confirm external “stripe sdk” due 2027-02-03")
		for _, w := range []string{"External “Stripe SDK” is now due Wed 2027-02-03 (in 28 days), was Wed 2027-01-20;", "That puts 1 release at risk — *mobile@5.0*: late (5 days)."} {
			if !strings.Contains(r.Doc.Text, w) {
				t.Errorf("confirm reply lacks %q:\n%s", w, r.Doc.Text)
			}
		}
		msgs := MustNewMessages(t, svc, before)
		if want := ":arrow_right: <@USAM> moved external “Stripe SDK” from Wed 2027-01-20 to Wed 2027-02-03. For *mobile@5.0*:"; len(msgs) != 2 || msgs[0].Channel != "CMOB" || !strings.HasPrefix(msgs[0].Doc.Text, want) || !msgs[1].DM || !strings.HasPrefix(msgs[1].Doc.Text, ":warning: *Slip*") {
			t.Errorf("confirm queued %+v; want the news to CMOB starting %q, then the slip alert to its owner (CMOB has the news)", msgs, want)
		}
		x := MustSnapshot(t, svc.Store).Externals[0]
		if h := x.History[len(x.History)-1]; h.Kind != "confirmed" || h.From != MustDate(t, "2027-01-20") || h.To != MustDate(t, "2027-02-03") || h.By != sam {
			t.Errorf("external history entry = %+v; want confirmed 2027-01-20 → 2027-02-03 by %s", h, sam)
		}
	})
}

func TestImpact(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	MustDoAll(t, svc, alice,
		"/release add web 3.0 2027-01-16",
		"/release depend web@3.0 on auth@1.4.0",
	)
	r := MustDo(t, svc, alice, "/release impact auth@1.4.0")
	want := "*Impact of auth@1.4.0*\n" +
		"*auth@1.4.0*, Fri 2027-01-08 (in 4 days) — 3 releases downstream:\n" +
		"└ *payments@2.3.0* — needs *auth@1.4.0* by Fri 2027-01-15 — on track (7 days to spare)\n" +
		"└ *web@3.0* — needs *auth@1.4.0* by Sat 2027-01-16 — on track (8 days to spare)\n" +
		"    └ *mobile@5.0* — needs *payments@2.3.0* by Fri 2027-01-29 — on track (14 days to spare)\n" +
		"Every edge into the downstream set is shown; `/release show &lt;release&gt;` says why one is at risk."
	if r.Doc.Text != want {
		t.Errorf("impact reply mismatch (-want +got):\n%s", cmp.Diff(want, r.Doc.Text))
	}
}

func TestHistory(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	clock := svc.Clock.(*store.FakeClock)
	clock.Advance(24 * time.Hour)
	MustDo(t, svc, alice, "/release move payments@2.3.0 +3w because R&amp;D needs time")
	clock.Advance(24 * time.Hour)
	MustDo(t, svc, root, "/release move payments@2.3.0 2027-01-20")
	r := MustDo(t, svc, alice, "/release history payments@2.3.0")
	for _, w := range []string{
		"added by <@UALICE>, target Fri 2027-01-15",
		"now depends on *auth@1.4.0*, needed by its target date (recorded by <@UALICE>)",
		"moved by <@UALICE> from Fri 2027-01-15 to Tue 2027-01-26 (11 days later): “R&amp;D needs time”",
		"moved by <@UROOT> from Tue 2027-01-26 to Wed 2027-01-20 (6 days earlier)",
	} {
		if !strings.Contains(r.Doc.Text, w) {
			t.Errorf("history lacks %q:\n%s", w, r.Doc.Text)
		}
	}
	if refs := refsIn(r.Doc.Text); !slices.Equal(refs, []string{"auth@1.4.0"}) {
		t.Errorf("history names releases %v; want only its provider auth@1.4.0", refs)
	}
	if strings.Count(r.Doc.Text, "\n• ") != 4 {
		t.Errorf("history has %d entries; want 4:\n%s", strings.Count(r.Doc.Text, "\n• "), r.Doc.Text)
	}
}

func TestRole(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDoAll(t, svc, alice,
		"/release role payments product-manager <@UPM1> <@UPM2> <@UPM1>",
		"/release role payments release-manager <@UPRM>",
	)
	MustDo(t, svc, "UPRM", "/release role payments@2.3.0 release-engineer <@URE>")
	t.Run("ShowsWhereRolesComeFrom", func(t *testing.T) {
		r := MustDo(t, svc, bob, "/release role payments@2.3.0")
		for _, w := range []string{
			"*Release manager* (schedules and dependencies; gets slip alerts): <@UPRM> — from product payments",
			"*Release engineer* (builds, packages and ships): <@URE> — from this release",
			"*Product manager* (roadmap and priorities; gets digests): <@UPM1>, <@UPM2> — from product payments",
		} {
			if !strings.Contains(r.Doc.Text, w) {
				t.Errorf("role show lacks %q:\n%s", w, r.Doc.Text)
			}
		}
	})
	t.Run("OwnerStandsInForReleaseManager", func(t *testing.T) {
		r := MustDo(t, svc, bob, "/release role auth 1.4.0")
		if w := "<@UALICE> — from the owner"; !strings.Contains(r.Doc.Text, w) {
			t.Errorf("role show lacks %q:\n%s", w, r.Doc.Text)
		}
	})
	t.Run("ProductRoleNeedsItsReleaseManager", func(t *testing.T) {
		// Once a product has a release manager, owning one of its
		// releases no longer lets you set its roles.
		r := MustFail(t, svc, alice, "/release role payments rm <@UALICE>", store.EForbidden)
		if w := "only <@UPRM> (release manager of payments) or an admin can set its roles"; !strings.Contains(r.Doc.Text, w) {
			t.Errorf("refusal lacks %q:\n%s", w, r.Doc.Text)
		}
		MustDo(t, svc, root, "/release role payments rm <@UALICE>")
	})
	t.Run("ClearsRole", func(t *testing.T) {
		MustDo(t, svc, root, "/release role payments pm none")
		s := MustSnapshot(t, svc.Store)
		for _, p := range s.Products {
			if p.Name == "payments" && p.Roles.Get(store.ProductManager) != nil {
				t.Errorf("product manager after none = %v; want unset", p.Roles.Get(store.ProductManager))
			}
		}
	})
}

// TestPermissions checks who may manage a release: its owner, its release
// manager (set on the product or on the release), and admins. Anyone else
// is refused with a message that names who can, and nothing changes.
func TestPermissions(t *testing.T) {
	actions := []struct {
		verb string
		line string
	}{
		{"move", "/release move payments@2.3.0 +3w because scope"},
		{"ship", "/release ship payments@2.3.0"},
		{"cancel", "/release cancel payments@2.3.0 because dropped"},
		{"change the dependencies of", `/release depend payments@2.3.0 on external "Okta" due fri`},
		{"change the dependencies of", "/release undepend payments@2.3.0 on auth@1.4.0"},
		{"change the roles of", "/release role payments@2.3.0 product-manager <@UBOB>"},
	}
	actors := []struct {
		name  string
		setup []string // run by alice first
		user  string
		ok    bool
		who   string // for refusals, who the message names
	}{
		{name: "Owner", user: alice, ok: true},
		{name: "ProductReleaseManager", setup: []string{"/release role payments rm <@UPRM>"}, user: "UPRM", ok: true},
		{name: "ReleaseReleaseManager", setup: []string{"/release role payments@2.3.0 rm <@URRM>"}, user: "URRM", ok: true},
		{name: "Admin", user: root, ok: true},
		{name: "Other", user: bob, who: "only <@UALICE> (owner) or an admin"},
		{name: "OtherWithReleaseManager", setup: []string{"/release role payments rm <@UPRM>"}, user: bob, who: "only <@UALICE> (owner), <@UPRM> (release manager) or an admin"},
		{name: "ReleaseEngineer", setup: []string{"/release role payments re <@URE>"}, user: "URE", who: "only <@UALICE> (owner) or an admin"},
		{name: "ProductManager", setup: []string{"/release role payments@2.3.0 pm <@UPM>"}, user: "UPM", who: "only <@UALICE> (owner) or an admin"},
		{name: "ExternalOwner", user: sam, who: "only <@UALICE> (owner) or an admin"},
		{name: "ProductReleaseManagerOverriddenByRelease", setup: []string{"/release role payments rm <@UPRM>", "/release role payments@2.3.0 rm <@URRM>"}, user: "UPRM", who: "only <@UALICE> (owner), <@URRM> (release manager) or an admin"},
	}
	for _, a := range actions {
		for _, who := range actors {
			name := strings.Fields(a.line)[1] + "/"
			if a.verb == "ship" && who.name == "ReleaseEngineer" {
				who.ok = true // SPEC §2: its release engineer may also ship it
			}
			if who.ok {
				name += who.name + "May"
			} else {
				name += who.name + "IsRefused"
			}
			t.Run(name, func(t *testing.T) {
				svc := MustService(t, root)
				MustFixture(t, svc)
				MustDoAll(t, svc, alice, who.setup...)
				before := MustSnapshot(t, svc.Store)
				if who.ok {
					MustDo(t, svc, who.user, a.line)
					return
				}
				r := MustFail(t, svc, who.user, a.line, store.EForbidden)
				if want := who.who + " can " + a.verb + " payments@2.3.0"; !strings.Contains(r.Doc.Text, want) {
					t.Errorf("Execute(%q as %s) reply lacks %q:\n%s", a.line, who.user, want, r.Doc.Text)
				}
				assertUnchanged(t, before, MustSnapshot(t, svc.Store))
			})
		}
	}
}

// TestOutbox checks that changes others should see are queued for the
// release's channel in the same transaction, and lookups queue nothing.
func TestOutbox(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		channel string // "" when nothing may be queued
		want    string
	}{
		{"AddPostsToChannel", "/release add payments 2.4.0 2027-02-01 channel <#CNEW|new>", "CNEW", ":package: <@UALICE> added *payments@2.4.0*, target Mon 2027-02-01 (in 28 days). Owner <@UALICE>."},
		{"AddPostsWhereTyped", "/release add payments 2.4.0 2027-02-01", defaultChannel, "added *payments@2.4.0*"},
		{"MovePosts", "/release move auth@1.4.0 2027-01-06", "CAUTH", "moved *auth@1.4.0* earlier"},
		{"ShipPosts", "/release ship auth@1.4.0", "CAUTH", "shipped *auth@1.4.0*"},
		{"CancelPosts", "/release cancel mobile@5.0 because dropped", "CMOB", "cancelled *mobile@5.0* because dropped"},
		{"DependPosts", "/release depend mobile@5.0 on auth@1.4.0", "CMOB", "*mobile@5.0* now depends on *auth@1.4.0*"},
		{"DependUpdatePosts", "/release depend mobile@5.0 on payments@2.3.0 by 2027-01-20", "CMOB", "*mobile@5.0* changed its need of *payments@2.3.0*"},
		{"UndependPosts", "/release undepend payments@2.3.0 on auth@1.4.0", "CPAY", ":scissors:"},
		{"ReleaseRolePosts", "/release role auth@1.4.0 re <@URE>", "CAUTH", "set the release-engineer of *auth@1.4.0*: <@URE>"},
		{"ListPostsNothing", "/release list all", "", ""},
		{"ShowPostsNothing", "/release show mobile@5.0", "", ""},
		{"ImpactPostsNothing", "/release impact auth@1.4.0", "", ""},
		{"HistoryPostsNothing", "/release history auth@1.4.0", "", ""},
		{"HelpPostsNothing", "/release help", "", ""},
		{"RoleShowPostsNothing", "/release role payments", "", ""},
		{"ProductRolePostsInItsReleasesChannels", "/release role payments rm <@UPRM>", "CPAY", ":bust_in_silhouette: <@UALICE> set the release-manager of product payments: <@UPRM>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := MustService(t)
			MustFixture(t, svc)
			before := MustSnapshot(t, svc.Store)
			MustDo(t, svc, alice, tt.line)
			msgs := MustNewMessages(t, svc, before)
			if tt.channel == "" {
				if len(msgs) != 0 {
					t.Errorf("Execute(%q) queued %d messages; want none: %+v", tt.line, len(msgs), msgs)
				}
				return
			}
			if len(msgs) != 1 {
				t.Fatalf("Execute(%q) queued %d messages; want 1: %+v", tt.line, len(msgs), msgs)
			}
			m := msgs[0]
			if m.Channel != tt.channel || !strings.Contains(m.Doc.Text, tt.want) {
				t.Errorf("Execute(%q) queued to %s:\n%s\nwant to %s, with %q", tt.line, m.Channel, m.Doc.Text, tt.channel, tt.want)
			}
			if m.ID == 0 || len(m.Doc.Sections) == 0 {
				t.Errorf("queued message has ID %d and %d sections; want an ID and sections", m.ID, len(m.Doc.Sections))
			}
		})
	}
}

// TestEscaping checks that user text echoed back can never ping or forge a
// link, in the reply and in the channel post, and is decoded once when
// stored and escaped once when shown.
func TestEscaping(t *testing.T) {
	// What Slack sends when a user types
	//   because <!channel> & <@U1> @here <https://evil.example|click>
	// with @here typed as a real mention and the rest typed literally.
	const reason = "because &lt;!channel&gt; &amp; &lt;@U1&gt; <!here> <https://evil.example|click>"
	const stored = "<!channel> & <@U1> @here click (https://evil.example)"
	const shown = "&lt;!channel&gt; &amp; &lt;@U1&gt; @here click (https://evil.example)"

	t.Run("MoveReason", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		before := MustSnapshot(t, svc.Store)
		MustDo(t, svc, alice, "/release move payments@2.3.0 +3w "+reason)
		r := MustRelease(t, svc.Store, "payments@2.3.0")
		if got := r.History[len(r.History)-1].Reason; got != stored {
			t.Errorf("stored reason = %q; want %q", got, stored)
		}
		msgs := MustNewMessages(t, svc, before)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Doc.Text, "because "+shown) {
			t.Fatalf("move queued %+v; want one message with %q", msgs, shown)
		}
		assertDefused(t, "move message", msgs[0].Doc)
		h := MustDo(t, svc, alice, "/release history payments@2.3.0")
		if want := "“" + shown + "”"; !strings.Contains(h.Doc.Text, want) {
			t.Errorf("history lacks %q:\n%s", want, h.Doc.Text)
		}
		assertDefused(t, "history reply", h.Doc)
	})
	t.Run("CancelReason", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		before := MustSnapshot(t, svc.Store)
		MustDo(t, svc, alice, "/release cancel payments@2.3.0 "+reason)
		msgs := MustNewMessages(t, svc, before)
		if len(msgs) != 2 || !strings.Contains(msgs[0].Doc.Text, "because "+shown) || !strings.Contains(msgs[1].Doc.Text, "“"+shown+"”") {
			t.Fatalf("cancel queued %+v; want the news and the alerts with %q", msgs, shown)
		}
		for _, m := range msgs {
			assertDefused(t, "cancel message", m.Doc)
		}
	})
	t.Run("ExternalName", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		before := MustSnapshot(t, svc.Store)
		r := MustDo(t, svc, alice, `/release depend auth@1.4.0 on external "&lt;!channel&gt; SDK &amp; <https://evil.example|co>" due fri owner <@USAM|sam>`)
		const want = "external “&lt;!channel&gt; SDK &amp; co (https://evil.example)”"
		msgs := MustNewMessages(t, svc, before)
		if len(msgs) != 2 { // the news, and the upcoming nudge to the item's owner
			t.Fatalf("depend queued %d messages; want 2", len(msgs))
		}
		assertDefused(t, "upcoming nudge", msgs[1].Doc)
		for _, d := range []struct {
			what string
			doc  store.Doc
		}{{"depend reply", r.Doc}, {"depend message", msgs[0].Doc}, {"show reply", MustDo(t, svc, alice, "/release show auth@1.4.0").Doc}} {
			if !strings.Contains(d.doc.Text, want) {
				t.Errorf("%s lacks %q:\n%s", d.what, want, d.doc.Text)
			}
			assertDefused(t, d.what, d.doc)
		}
	})
	t.Run("ErrorEchoes", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		for _, line := range []string{
			"/release move payments@2.3.0 &lt;!channel&gt; because x",
			"/release show &lt;!here&gt;@1",
			"/release &lt;!everyone&gt;",
			"/release list &lt;https://evil.example|x&gt;",
			`/release confirm external "&lt;!channel&gt;"`,
		} {
			r := Do(t, svc, alice, line)
			if r.OK() {
				t.Errorf("Execute(%q) succeeded; want an error", line)
			}
			assertDefused(t, fmt.Sprintf("reply to %q", line), r.Doc)
		}
	})
}

// assertDefused fails t if doc could ping a crowd or carry a forged link.
func assertDefused(t *testing.T, what string, doc store.Doc) {
	t.Helper()
	texts := []string{doc.Text, doc.Header}
	for _, s := range doc.Sections {
		texts = append(texts, s.Text, s.Context)
		texts = append(texts, s.Fields...)
	}
	for _, s := range texts {
		for _, bad := range []string{"<!", "<http", "<mailto", "<@U1>"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %q:\n%s", what, bad, s)
			}
		}
	}
}

// TestRefusalsChangeNothing runs commands that are refused and checks,
// with a full snapshot of the store, that each left everything as it was:
// records, the outbox and the audit log.
func TestRefusalsChangeNothing(t *testing.T) {
	tests := []struct {
		name string
		as   string
		line string
		code string
	}{
		{"Cycle", alice, "/release depend auth@1.4.0 on mobile@5.0", store.EConflict},
		{"SelfDependency", alice, "/release depend mobile@5.0 on mobile@5.0", store.EConflict},
		{"ForbiddenMove", bob, "/release move payments@2.3.0 +3w because mine now", store.EForbidden},
		{"ForbiddenCancel", bob, "/release cancel payments@2.3.0 because mine now", store.EForbidden},
		{"ForbiddenRole", bob, "/release role payments rm <@UBOB>", store.EForbidden},
		{"MoveWithoutReason", alice, "/release move payments@2.3.0 +3w", store.EInvalid},
		{"DuplicateAdd", alice, "/release add payments 2.3.0 2027-03-01 owner <@UBOB>", store.EConflict},
		{"DependOnMissingRelease", alice, "/release depend mobile@5.0 on nosuch@1.0", store.ENotFound},
		{"DependNewExternalWithoutDue", alice, `/release depend mobile@5.0 on external "Okta"`, store.EInvalid},
		{"DependKnownExternalOtherDue", alice, `/release depend auth@1.4.0 on external "Stripe SDK" due 2027-03-01`, store.EConflict},
		{"DuplicateDependency", alice, "/release depend mobile@5.0 on payments@2.3.0", store.EConflict},
		{"ConfirmByNonOwner", alice, `/release confirm external "Stripe SDK" due 2027-03-01`, store.EForbidden},
		{"ShipInFuture", alice, "/release ship payments@2.3.0 on fri", store.EInvalid},
		{"UndependMissing", alice, "/release undepend auth@1.4.0 on mobile@5.0", store.ENotFound},
		{"UnknownCommand", alice, "/release mvoe payments@2.3.0 +3w because x", store.EInvalid},
		{"ControlCharacter", alice, "/release move payments@2.3.0 +3w because \x1b[2J", store.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := MustService(t, root)
			MustFixture(t, svc)
			before := MustSnapshot(t, svc.Store)
			MustFail(t, svc, tt.as, tt.line, tt.code)
			assertUnchanged(t, before, MustSnapshot(t, svc.Store))
		})
	}
	t.Run("CancelledContext", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		before := MustSnapshot(t, svc.Store)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		r := svc.Execute(ctx, request(alice, "/release move payments@2.3.0 +3w because x"))
		if r.Code != store.EInternal || !strings.Contains(r.Doc.Text, "nothing was changed") {
			t.Errorf("Execute with a cancelled context = %q, %q; want %q saying nothing was changed", r.Code, r.Doc.Text, store.EInternal)
		}
		assertUnchanged(t, before, MustSnapshot(t, svc.Store))
	})
}

// mustFailingService returns a Service like MustService's whose store's
// database fails, while kv.On is set, every write of a read-write
// transaction after its first. kv.On is not set.
func mustFailingService(tb testing.TB, admins ...string) (*commands.Service, *storetest.FailingKV) {
	tb.Helper()
	raw, err := boltdb.OpenKV(filepath.Join(tb.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	kv := storetest.FailAfter(raw, 1)
	kv.On.Store(false)
	st, err := store.New(context.Background(), kv, "relman.db")
	if err != nil {
		tb.Fatal(err)
	}
	return &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(epoch), Loc: time.UTC, Admins: admins, PublicURL: "https://relman.example.com"}, kv
}

// graphView is what a reader of the store's shared Graph sees: every
// release's date and status, and every edge's needed-by date and handshake.
func graphView(tb testing.TB, st *store.Store) []string {
	tb.Helper()
	var out []string
	err := st.View(context.Background(), func(tx *store.Tx) error {
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		for _, r := range g.Releases() {
			out = append(out, fmt.Sprintf("%s %s %s", r.Ref, r.Target, r.Status))
			for _, d := range g.Dependencies(r.Ref) {
				out = append(out, fmt.Sprintf("  %s by %s %s", d.Key(), d.NeededBy, d.Handshake))
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("graphView: %v", err)
	}
	return out
}

// TestNothingHalfApplied runs commands that change the store against a
// database that fails the second write of a transaction, which every one
// of them makes and none makes last. Each must answer that something went
// wrong and nothing was changed, and leave every bucket of the database as
// it was, down to its sequences, and the store's shared Graph too. The same
// command then succeeds once the database works again.
func TestNothingHalfApplied(t *testing.T) {
	tests := []struct {
		name  string
		setup []string // "USER: line", on MustCCB
		as    string
		line  string // a command line, or "vote <value>" for a click of a CR's button
	}{
		{name: "Add", as: alice, line: "/release add billing 1.0 2027-02-01 channel <#CBILL|billing>"},
		{name: "MoveLater", as: alice, line: "/release move auth@1.4.0 +3w because the token rotation needs another sprint"},
		{name: "MoveEarlierCapsNothing", as: alice, line: "/release move mobile@5.0 2027-01-25"},
		{name: "MoveCapsANeed", setup: []string{"UALICE: /release depend mobile@5.0 on auth@1.4.0 by 2027-01-28"}, as: alice, line: "/release move mobile@5.0 2027-01-22"},
		{name: "Ship", as: alice, line: "/release ship auth@1.4.0"},
		{name: "Cancel", as: alice, line: "/release cancel payments@2.3.0 because replaced by billing"},
		{name: "Depend", as: alice, line: "/release depend mobile@5.0 on auth@1.4.0 by 2027-01-20"},
		{name: "DependOnANewExternal", as: alice, line: `/release depend auth@1.4.0 on external "Okta" due 2027-01-06 owner <@USAM|sam>`},
		{name: "Undepend", as: alice, line: "/release undepend mobile@5.0 on payments@2.3.0"},
		{name: "ConfirmExternalLater", as: sam, line: `/release confirm external "Stripe SDK" due 2027-02-01`},
		{name: "SetOwner", as: alice, line: "/release set payments@2.3.0 owner <@UBOB>"},
		{name: "Role", as: alice, line: "/release role payments rm <@UBOB>"},
		{name: "Commit", setup: []string{"UALICE: /release set payments@2.3.0 owner <@UBOB>", "UALICE: /release depend mobile@5.0 on payments@2.3.0 by 2027-01-20"},
			as: bob, line: "/release commit mobile@5.0 on payments@2.3.0"},
		{name: "CCBRequest", as: alice, line: "/ccb request payments@2.3.0 switch the card processor"},
		{name: "CCBVote", setup: []string{"UALICE: /ccb request payments@2.3.0 switch the card processor"}, as: bob, line: "vote 1:approve"},
		{name: "CCBDecidingVote", setup: []string{"UALICE: /ccb request payments@2.3.0 switch the card processor", "UBOB: vote 1:approve"}, as: carol, line: "vote 1:approve"},
	}
	run := func(svc *commands.Service, user, line string) commands.Reply {
		if value, ok := strings.CutPrefix(line, "vote "); ok {
			return svc.Vote(context.Background(), user, value)
		}
		return Do(t, svc, user, line)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, kv := mustFailingService(t, root)
			MustCCB(t, svc)
			for _, l := range tt.setup {
				u, line, _ := strings.Cut(l, ": ")
				if r := run(svc, u, line); !r.OK() {
					t.Fatalf("setup %q as %s failed with %s: %s", line, u, r.Code, r.Doc.Text)
				}
			}
			before, graph := storetest.Dump(t, kv.KV), graphView(t, svc.Store)

			kv.Reset()
			kv.On.Store(true)
			r := run(svc, tt.as, tt.line)
			kv.On.Store(false)
			if r.Code != store.EInternal || !strings.Contains(r.Doc.Text, "nothing was changed") {
				t.Errorf("%q as %s with its second write failing = %q, %q; want %q saying nothing was changed", tt.line, tt.as, r.Code, r.Doc.Text, store.EInternal)
			}
			if kv.Failed() == 0 {
				t.Fatalf("%q as %s: the database failed no write (writes per transaction: %v); the test proves nothing", tt.line, tt.as, kv.Writes())
			}
			if diff := cmp.Diff(before, storetest.Dump(t, kv.KV)); diff != "" {
				t.Errorf("%q as %s left part of itself in the database (-before +after):\n%s", tt.line, tt.as, diff)
			}
			if diff := cmp.Diff(graph, graphView(t, svc.Store)); diff != "" {
				t.Errorf("%q as %s left part of itself in the shared Graph (-before +after):\n%s", tt.line, tt.as, diff)
			}

			// The same command on the same data, with the database
			// working, succeeds: its transaction writes more than twice,
			// so the write that failed was not its last.
			kv.Reset()
			if r := run(svc, tt.as, tt.line); !r.OK() {
				t.Fatalf("%q as %s once the database works = %s: %s", tt.line, tt.as, r.Code, r.Doc.Text)
			}
			if w := kv.Writes(); len(w) == 0 || slices.Max(w) <= 2 {
				t.Errorf("%q as %s writes %v times per transaction; want a transaction of more than 2 writes, so that failing the second is not failing the last", tt.line, tt.as, w)
			}
		})
	}
}

// TestTodayIsWorkspaceDate checks that relative dates count from today in
// the workspace time zone, not in UTC.
func TestTodayIsWorkspaceDate(t *testing.T) {
	svc := MustService(t)
	svc.Loc = time.FixedZone("UTC-8", -8*60*60)
	svc.Clock.(*store.FakeClock).Set(time.Date(2027, 1, 4, 3, 0, 0, 0, time.UTC)) // Sunday 19:00 at UTC-8
	MustDoAll(t, svc, alice, "/release add payments 2.3.0 tomorrow", "/release add payments 2.4.0 mon", "/release add payments 2.5.0 +1d")
	for ref, want := range map[string]string{"payments@2.3.0": "2027-01-04", "payments@2.4.0": "2027-01-04", "payments@2.5.0": "2027-01-04"} {
		if got := MustRelease(t, svc.Store, ref).Target.String(); got != want {
			t.Errorf("%s target = %s; want %s (the day after Sunday 2027-01-03 at UTC-8)", ref, got, want)
		}
	}
	if got := svc.Today().String(); got != "2027-01-03" {
		t.Errorf("Today() = %s; want 2027-01-03", got)
	}
}
