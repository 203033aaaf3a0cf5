package reminders

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// jan is an instant in January 2027, UTC.
func jan(d, h, m int) time.Time { return time.Date(2027, 1, d, h, m, 0, 0, time.UTC) }

// clockJumpFixture is a store made on Monday 2027-01-04 10:00 UTC and swept
// once on Friday 2027-01-15 12:00 (what that sweep queued is not looked
// at), holding something of every kind the sweep sends:
//
//   - a slipping dependency: web@3.1 needs auth@1.4.0 by Mon 02-01, and
//     auth moved to Fri 02-05 (its slip alert went out at the move);
//   - an upcoming needed-by date: mobile@5.0 (release manager URITA) needs
//     payments@2.3.0 (owner UALICE) by Tue 01-19, so the 1-day nudge is
//     due Monday 01-18 and Tuesday 01-19 (the 7-day one went out Friday);
//   - an external item due for re-confirmation: "Stripe SDK" (owner USAM),
//     confirmed when it was added, is asked about from Mon 01-18 10:00;
//   - an open CR-1 on payments@2.3.0 (members UA, UB, UC; UA approved)
//     with its deadline Tue 01-19 12:00: UB and UC are reminded by quiet DM
//     from Mon 01-18 12:00, and it is decided at the deadline;
//   - digest subscriptions: UKIM by DM daily at 09:00 UTC, #CREL weekly on
//     Mondays at 09:00 UTC, #CPAY daily at 09:00 in Berlin (08:00 UTC);
//   - DMs held for quiet hours: every DM but a digest is a quiet one.
type clockJumpFixture struct {
	*alertFixture
	ledger map[string]bool // ledger keys as of the last look
}

// clockJumpBase is when the fixture is swept first: Friday 2027-01-15 12:00.
var clockJumpBase = jan(15, 12, 0)

func MustClockJumpFixture(tb testing.TB) *clockJumpFixture {
	tb.Helper()
	f := newAlertFixture(tb, "")
	f.do(tb, "UALICE",
		"add payments 2.3.0 2027-01-15 channel <#CPAY|pay>",
		"add mobile 5.0 2027-01-29 channel <#CMOB|mob>",
		"role mobile release-manager <@URITA|rita>",
		"depend mobile@5.0 on payments@2.3.0 by 2027-01-19",
		`depend mobile@5.0 on external "Stripe SDK" due 2027-01-27 owner <@USAM|sam>`,
		"add auth 1.4.0 2027-01-15 channel <#CAUTH|auth>",
		"add web 3.1 2027-02-12 channel <#CWEB|web>",
		"depend web@3.1 on auth@1.4.0 by 2027-02-01",
		"move auth@1.4.0 2027-02-05 because HSM firmware",
	)
	MustCR(tb, f.st, store.ChangeRequest{Deadline: jan(19, 12, 0), Votes: map[string]store.Ballot{"UA": ballot("UA", store.Approve)}})
	MustSubscribe(tb, f.st,
		store.Subscription{Channel: "UKIM", DM: true, Cadence: store.Daily, Hour: 9, Zone: "UTC", Weekends: true, CreatedAt: alertStart, CreatedBy: "UKIM"},
		store.Subscription{Channel: "CREL", Cadence: store.Weekly, Weekday: time.Monday, Hour: 9, Zone: "UTC", CreatedAt: alertStart, CreatedBy: "UKIM"},
		store.Subscription{Channel: "CPAY", Cadence: store.Daily, Hour: 9, Zone: "Europe/Berlin", CreatedAt: alertStart, CreatedBy: "UALICE"},
	)
	f.clock.Set(clockJumpBase)
	MustSweep(tb, f.sweep, clockJumpBase)
	f.seen = len(mustOutbox(tb, f.st))
	j := &clockJumpFixture{alertFixture: f}
	j.ledger = j.keys(tb)
	return j
}

// keys returns the ledger's keys.
func (f *clockJumpFixture) keys(tb testing.TB) map[string]bool {
	tb.Helper()
	keys := map[string]bool{}
	if err := f.st.View(context.Background(), func(tx *store.Tx) error {
		tx.LedgerEntries("", func(k string, _ time.Time) bool { keys[k] = true; return true })
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return keys
}

// step returns the ledger keys recorded and the messages queued since the
// last call, a message as "<kind> <where>": a digest names the slot its
// ledger key is for ("digest Mon 01-18 09:00 @UKIM"), an upcoming nudge
// its provider and how many days ahead it is ("upcoming payments@2.3.0 1d
// @UALICE").
func (f *clockJumpFixture) step(tb testing.TB) (added []string, news []string) {
	tb.Helper()
	now := f.keys(tb)
	for k := range now {
		if !f.ledger[k] {
			added = append(added, k)
		}
	}
	f.ledger = now
	slices.Sort(added)
	msgs := mustOutbox(tb, f.st)[f.seen:]
	f.seen += len(msgs)
	for _, m := range msgs {
		kind := jumpKind(m)
		switch kind {
		case "digest":
			kind += " " + labelOf(added, store.KindDigest+" "+store.SubscriptionKey(m.Channel, m.DM)+" ", func(rest string) string {
				t, err := time.Parse(time.RFC3339, rest)
				if err != nil {
					return "?" + rest
				}
				return t.Format("Mon 01-02 15:04")
			})
		case "upcoming":
			// ":calendar: *mobile@5.0* needs *payments@2.3.0* by …"
			var consumer, provider string
			if f := strings.Split(m.Doc.Text, "*"); len(f) > 3 {
				consumer, provider = f[1], f[3]
			}
			kind += " " + provider + " " + labelOf(added, store.KindUpcoming+" "+consumer+" "+provider+" ", func(rest string) string { return rest[strings.LastIndexByte(rest, ' ')+1:] })
		}
		if m.DM && !m.Quiet && !strings.HasPrefix(kind, "digest") {
			kind += " (not quiet)"
		}
		news = append(news, kind+" "+where(m))
	}
	slices.Sort(news)
	return added, news
}

// labelOf returns label(rest) for the one key in keys that starts with
// prefix, "?" when there is none or more than one.
func labelOf(keys []string, prefix string, label func(rest string) string) string {
	var found []string
	for _, k := range keys {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			found = append(found, rest)
		}
	}
	if len(found) != 1 {
		return fmt.Sprintf("?%v", found)
	}
	return label(found[0])
}

// jumpKind says what m is: slip, overdue, recovery, upcoming, reconfirm,
// vote, digest, or news (a command's reply or a CR's decision).
func jumpKind(m store.Message) string {
	switch t := m.Doc.Text; {
	case strings.Contains(t, "Digest for"):
		return "digest"
	case strings.HasPrefix(t, ":calendar: Is external"):
		return "reconfirm"
	case strings.HasPrefix(t, ":ballot_box_with_ballot: Your vote is awaited"):
		return "vote"
	}
	return alertKind(m)
}

// jumpStep is one instant of a clock-jump case: a sweep at at, or, when
// lines are given, those commands run by UALICE at at.
type jumpStep struct {
	at    time.Time
	lines []string
	want  []string // the messages the step queued (clockJumpFixture.step)
}

func TestClockJumps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []jumpStep
	}{
		{"RepeatedInstantsSendEachOnce", []jumpStep{
			{at: jan(17, 9, 30), want: []string{"digest Sun 01-17 08:00 #CPAY", "digest Sun 01-17 09:00 @UKIM"}},
			{at: jan(18, 9, 30), want: []string{"digest Mon 01-18 08:00 #CPAY", "digest Mon 01-18 09:00 #CREL", "digest Mon 01-18 09:00 @UKIM", "upcoming payments@2.3.0 1d @UALICE"}},
			{at: jan(18, 9, 30)},
			{at: jan(18, 9, 30)},
			{at: jan(18, 12, 0), want: []string{"reconfirm @USAM", "vote @UB", "vote @UC"}},
			{at: jan(18, 12, 0)},
			{at: jan(19, 12, 0), want: []string{"digest Tue 01-19 08:00 #CPAY", "digest Tue 01-19 09:00 @UKIM", "news #CPAY", "news #CPAY", "news (not quiet) @UREQ", "news (not quiet) @URITA"}},
			{at: jan(19, 12, 0)},
		}},
		{"StepBackAnHourAcrossTheDigestSlotSendsItOnce", []jumpStep{
			{at: jan(17, 9, 30), want: []string{"digest Sun 01-17 08:00 #CPAY", "digest Sun 01-17 09:00 @UKIM"}},
			{at: jan(18, 8, 45), want: []string{"digest Mon 01-18 08:00 #CPAY", "upcoming payments@2.3.0 1d @UALICE"}},
			{at: jan(18, 9, 5), want: []string{"digest Mon 01-18 09:00 #CREL", "digest Mon 01-18 09:00 @UKIM"}},
			// NTP steps the clock back an hour.
			{at: jan(18, 8, 5)},
			{at: jan(18, 8, 50)},
			{at: jan(18, 9, 0)},
			{at: jan(18, 9, 5)},
			{at: jan(18, 9, 20)},
		}},
		{"StepBackAnHourAfterAStepForwardADaySendsNoStaleDigest", []jumpStep{
			{at: jan(17, 9, 30), want: []string{"digest Sun 01-17 08:00 #CPAY", "digest Sun 01-17 09:00 @UKIM"}},
			{at: jan(18, 8, 30), want: []string{"digest Mon 01-18 08:00 #CPAY", "upcoming payments@2.3.0 1d @UALICE"}},
			// A day forward: Monday's 09:00 slots are past; only the
			// latest slot of each subscription is sent.
			{at: jan(19, 9, 30), want: []string{"digest Mon 01-18 09:00 #CREL", "digest Tue 01-19 08:00 #CPAY", "digest Tue 01-19 09:00 @UKIM", "reconfirm @USAM", "vote @UB", "vote @UC"}},
			// An hour back: Monday's 09:00 is the latest slot again, but
			// Tuesday's went out.
			{at: jan(19, 8, 30)},
			{at: jan(19, 9, 0)},
			{at: jan(19, 9, 30)},
		}},
		{"StepForwardADaySendsWhatFellDueInItOnce", []jumpStep{
			{at: jan(17, 9, 30), want: []string{"digest Sun 01-17 08:00 #CPAY", "digest Sun 01-17 09:00 @UKIM"}},
			{at: jan(17, 23, 0)},
			// A day forward over Monday: its digests go out once, late,
			// and so do the 1-day nudge, the re-confirm request and the
			// vote reminders that fell due in it.
			{at: jan(18, 23, 0), want: []string{"digest Mon 01-18 08:00 #CPAY", "digest Mon 01-18 09:00 #CREL", "digest Mon 01-18 09:00 @UKIM", "reconfirm @USAM", "upcoming payments@2.3.0 1d @UALICE", "vote @UB", "vote @UC"}},
			{at: jan(18, 23, 0)},
			{at: jan(19, 8, 30), want: []string{"digest Tue 01-19 08:00 #CPAY"}},
			{at: jan(19, 9, 5), want: []string{"digest Tue 01-19 09:00 @UKIM"}},
		}},
		{"StepBackAcrossTheCRDeadlineDecidesItOnce", []jumpStep{
			{at: jan(19, 11, 0), want: []string{"digest Mon 01-18 09:00 #CREL", "digest Tue 01-19 08:00 #CPAY", "digest Tue 01-19 09:00 @UKIM", "reconfirm @USAM", "upcoming payments@2.3.0 1d @UALICE", "vote @UB", "vote @UC"}},
			{at: jan(19, 12, 5), want: []string{"news #CPAY", "news #CPAY", "news (not quiet) @UREQ", "news (not quiet) @URITA"}},
			// An hour back, before the deadline: the CR is decided; nobody
			// is reminded to vote on it, and it is not decided again.
			{at: jan(19, 11, 5)},
			{at: jan(19, 11, 59)},
			{at: jan(19, 12, 0)},
			{at: jan(19, 12, 5)},
		}},
		{"StepForwardOverAWeekendSendsTheLatestDigestAndEveryNudgeOnce", []jumpStep{
			{at: jan(15, 17, 0)},
			// Friday evening to Monday morning, before working hours: the
			// DMs are quiet, for the outbox to hold until 09:00.
			{at: jan(18, 7, 0), want: []string{"digest Sun 01-17 08:00 #CPAY", "digest Sun 01-17 09:00 @UKIM", "upcoming payments@2.3.0 1d @UALICE"}},
			{at: jan(18, 7, 0)},
			{at: jan(18, 9, 0), want: []string{"digest Mon 01-18 08:00 #CPAY", "digest Mon 01-18 09:00 #CREL", "digest Mon 01-18 09:00 @UKIM"}},
			{at: jan(18, 12, 0), want: []string{"reconfirm @USAM", "vote @UB", "vote @UC"}},
		}},
		{"StepBackOverMidnightAfterTheOneDayNudgeSendsNoSevenDayNudge", []jumpStep{
			{at: jan(17, 23, 0), want: []string{"digest Sun 01-17 08:00 #CPAY", "digest Sun 01-17 09:00 @UKIM"}},
			// At ten past midnight on Monday mobile@5.0 comes to need
			// api@2.0 by Tuesday: the 1-day nudge goes out with it (and
			// the one about payments@2.3.0, due since midnight).
			{at: jan(18, 0, 10), lines: []string{"add api 2.0 2027-01-18", "depend mobile@5.0 on api@2.0 by 2027-01-19"}, want: []string{"news #CGEN", "news #CMOB", "upcoming api@2.0 1d @UALICE", "upcoming payments@2.3.0 1d @UALICE"}},
			// An hour back, on Sunday, the date is two days away: the
			// 7-day nudge is superseded all the same.
			{at: jan(17, 23, 10)},
			{at: jan(18, 0, 10)},
		}},
		{"AFurtherSlipInARepeatedHourRecoversOnce", []jumpStep{
			// web's release manager (UALICE) moves auth herself: the
			// channel hears, she is not DMed of her own moves.
			{at: jan(18, 10, 0), lines: []string{"move auth@1.4.0 2027-02-08 because the HSM is later"}, want: []string{"news #CAUTH", "slip #CWEB"}},
			// An hour back, auth slips again, then is on track.
			{at: jan(18, 9, 15), lines: []string{"move auth@1.4.0 2027-02-09 because the HSM is later still"}, want: []string{"news #CAUTH", "slip #CWEB"}},
			{at: jan(18, 9, 30), lines: []string{"move auth@1.4.0 2027-01-29"}, want: []string{"news #CAUTH", "recovery #CWEB"}},
			{at: jan(18, 9, 45), want: []string{"digest Mon 01-18 08:00 #CPAY", "digest Mon 01-18 09:00 #CREL", "digest Mon 01-18 09:00 @UKIM", "upcoming payments@2.3.0 1d @UALICE"}},
			{at: jan(18, 10, 5), want: []string{"reconfirm @USAM"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := MustClockJumpFixture(t)
			sent := map[string]int{}  // ledger key → how many times recorded
			heard := map[string]int{} // message → how many times queued
			for i, s := range tc.steps {
				f.clock.Set(s.at)
				if len(s.lines) > 0 {
					f.do(t, "UALICE", s.lines...)
				} else {
					MustSweep(t, f.sweep, s.at)
				}
				added, news := f.step(t)
				want := slices.Clone(s.want)
				slices.Sort(want)
				if diff := cmp.Diff(want, news); diff != "" {
					t.Errorf("step %d at %s %v queued (-want +got):\n%s", i, s.at.Format("Mon 01-02 15:04"), s.lines, diff)
				}
				for _, k := range added {
					sent[k]++
				}
				for _, n := range news {
					if !strings.HasPrefix(n, "news") && !strings.HasPrefix(n, "slip") {
						heard[n]++
					}
				}
			}
			for k, n := range sent {
				if n > 1 {
					t.Errorf("ledger key %q recorded %d times; want once", k, n)
				}
			}
			for m, n := range heard {
				if n > 1 {
					t.Errorf("%q queued %d times; want once", m, n)
				}
			}
		})
	}
}
