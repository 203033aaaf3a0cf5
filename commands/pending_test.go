package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/store"
)

// at sets svc's clock to midday of the given day of January 2027.
func at(svc *commands.Service, day int) {
	svc.Clock.(*store.FakeClock).Set(time.Date(2027, 1, day, 12, 0, 0, 0, time.UTC))
}

// homeText is the whole App Home of user, section by section.
func homeText(tb testing.TB, svc *commands.Service, user string) string {
	tb.Helper()
	docs, err := svc.Home(context.Background(), user)
	if err != nil {
		tb.Fatalf("Home(%s): %v", user, err)
	}
	var texts []string
	for _, d := range docs {
		texts = append(texts, d.Text)
	}
	return strings.Join(texts, "\n")
}

// waitingPart is the "Waiting for your answer" part of a show reply or a
// Home, or "" when there is none.
func waitingPart(text string) string {
	_, part, ok := strings.Cut(text, "Waiting for your answer")
	if !ok {
		return ""
	}
	for _, next := range []string{"*Depends on:*", "*Votes awaiting you*"} {
		part, _, _ = strings.Cut(part, next)
	}
	return part
}

func TestPending(t *testing.T) {
	const (
		stripe   = ":warning: external “Stripe SDK” — due Wed 2027-01-20 (in 1 day) · <@USAM> · *not confirmed for 15 days* · needed by 1 release"
		upcoming = ":link: *payments@2.3.0* needs *auth@1.4.0* by Fri 2027-01-15"
	)
	for _, tc := range []struct {
		name   string
		setup  []string
		day    int
		as     string
		show   string
		want   []string // in show's and the Home's "Waiting for your answer"
		absent []string
	}{
		{name: "AnExternalItemAwaitingItsOwnersConfirmation", day: 19, as: sam, show: "mobile@5.0",
			want: []string{strings.Replace(stripe, "(in 1 day)", "(tomorrow)", 1), "Answer with `/release confirm external \"Stripe SDK\" [due &lt;date&gt;]`."}},
		{name: "NotAnExternalItemConfirmedLessThan14DaysAgo", day: 17, as: sam, show: "mobile@5.0", absent: []string{"Stripe SDK"}},
		{name: "NotSomeoneElsesExternalItem", day: 19, as: bob, show: "mobile@5.0", absent: []string{"Stripe SDK"}},
		{name: "NotAnExternalItemNothingWaitsFor", setup: []string{"/release cancel mobile@5.0 because dropped"}, day: 19, as: sam, show: "mobile@5.0", absent: []string{"Stripe SDK"}},
		{name: "ANeededByDateWithinAWeekForTheProvidersReleaseManager", day: 8, as: alice, show: "auth@1.4.0",
			want: []string{upcoming + " (in 7 days) — on track (7 days to spare)", "Answer with `/release ship auth@1.4.0` or `/release move auth@1.4.0 &lt;date&gt; because &lt;reason&gt;`."}},
		{name: "NotANeededByDateEightDaysAway", day: 7, as: alice, show: "auth@1.4.0", absent: []string{upcoming}},
		{name: "NotANeededByDateAlreadyMet", setup: []string{"/release ship auth@1.4.0"}, day: 8, as: alice, show: "auth@1.4.0", absent: []string{upcoming}},
		{name: "ForTheReleaseManagerTheProductNames", setup: []string{"/release role auth release-manager <@UBOB|bob>"}, day: 12, as: bob, show: "auth@1.4.0",
			want: []string{upcoming + " (in 3 days) — on track"}},
		{name: "NotForAnOwnerWhoIsNotReleaseManager", setup: []string{"/release role auth release-manager <@UBOB|bob>"}, day: 12, as: alice, show: "auth@1.4.0", absent: []string{upcoming}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := MustService(t)
			MustFixture(t, svc)
			MustDoAll(t, svc, alice, tc.setup...)
			at(svc, tc.day)
			show := MustDo(t, svc, tc.as, "/release show "+tc.show).Doc.Text
			home := homeText(t, svc, tc.as)
			for view, text := range map[string]string{"show": waitingPart(show), "Home": waitingPart(home)} {
				for _, want := range tc.want {
					if !strings.Contains(text, want) {
						t.Errorf("%s lacks %q:\n%s", view, want, text)
					}
				}
				for _, bad := range tc.absent {
					if strings.Contains(text, bad) {
						t.Errorf("%s shows %q:\n%s", view, bad, text)
					}
				}
			}
			if len(tc.want) == 0 && !strings.Contains(home, "Nothing waits for your answer.") {
				t.Errorf("Home does not say nothing waits:\n%s", home)
			}
		})
	}

	t.Run("ShowListsOnlyWhatConcernsThatRelease", func(t *testing.T) {
		svc := MustService(t)
		MustFixture(t, svc)
		at(svc, 8)
		if show := MustDo(t, svc, alice, "/release show payments@2.3.0").Doc.Text; strings.Contains(show, "Waiting for your answer") {
			t.Errorf("show payments@2.3.0 shows auth@1.4.0's pending needed-by:\n%s", show)
		}
	})
}

func TestHomeAtRisk(t *testing.T) {
	svc := MustService(t)
	MustFixture(t, svc)
	MustDo(t, svc, alice, "/release add web 1.0 2027-02-01 owner <@UBOB|bob>")
	MustDo(t, svc, alice, "/release move auth@1.4.0 2027-01-20 because HSM firmware")
	home := homeText(t, svc, alice)
	for _, want := range []string{
		"*Yours at risk*\n:warning: *payments@2.3.0* — Fri 2027-01-15 (in 11 days): *auth@1.4.0* slipped 5 days past its needed-by Fri 2027-01-15 (moved by <@UALICE> on Mon 2027-01-04: “HSM firmware”)",
		":warning: *mobile@5.0* — Fri 2027-01-29 (in 25 days): *auth@1.4.0* slipped 5 days past its needed-by Fri 2027-01-15 (moved by <@UALICE> on Mon 2027-01-04: “HSM firmware”) — through *payments@2.3.0*",
		"*Votes awaiting you*",
	} {
		if !strings.Contains(home, want) {
			t.Errorf("alice's Home lacks %q:\n%s", want, home)
		}
	}
	bobs := homeText(t, svc, bob)
	if !strings.Contains(bobs, ":tada: None of your releases is at risk.") || strings.Contains(bobs, "payments@2.3.0") {
		t.Errorf("bob's Home shows alice's releases at risk:\n%s", bobs)
	}
}
