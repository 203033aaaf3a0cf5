package commands_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/store"
)

// advance moves the service's fake clock by n days.
func advance(tb testing.TB, svc *commands.Service, n int) {
	tb.Helper()
	c, ok := svc.Clock.(*store.FakeClock)
	if !ok {
		tb.Fatalf("service clock is %T; want *store.FakeClock", svc.Clock)
	}
	c.Advance(time.Duration(n) * 24 * time.Hour)
}

// replyAndNews is a command's reply followed by everything it posted.
func replyAndNews(tb testing.TB, svc *commands.Service, user, line string) string {
	tb.Helper()
	before := MustSnapshot(tb, svc.Store)
	text := MustDo(tb, svc, user, line).Doc.Text
	for _, m := range MustNewMessages(tb, svc, before) {
		text += "\n" + m.Doc.Text
	}
	return text
}

// TestEdgeStateAgreesEverywhere puts the edge app@1 → lib@1 in each state
// with the command that causes it, and checks that the command's reply and
// news, show of the consumer, impact of the provider and list at-risk all
// say the same.
func TestEdgeStateAgreesEverywhere(t *testing.T) {
	tests := []struct {
		name   string
		setup  []string // after app@1 (Fri 2027-01-29) depends on lib@1 (Fri 2027-01-15) by Wed 2027-01-20
		days   int      // the clock moves this many days after setup
		action string
		want   string // the state's words
		atRisk bool
		stage  bool // app@1 needs lib@1 in test, not shipped
	}{
		{
			name:   "OnTrack",
			setup:  []string{"/release move lib@1 2027-01-25 because vendor"},
			action: "/release move lib@1 2027-01-18",
			want:   "on track (2 days to spare)",
		},
		{
			name:   "Late",
			action: "/release move lib@1 2027-01-25 because vendor",
			want:   "late (5 days)", atRisk: true,
		},
		{
			// app moves before today: its needed-by (now its target)
			// has passed and lib has not shipped.
			name:   "Overdue",
			setup:  []string{"/release undepend app@1 on lib@1", "/release depend app@1 on lib@1"},
			days:   20, // Sun 2027-01-24; lib itself is overdue since the 15th
			action: "/release move app@1 2027-01-22 anyway",
			want:   "overdue (needed 2 days ago, not shipped)", atRisk: true,
		},
		{
			name:   "ProviderCancelled",
			action: "/release cancel lib@1 because dropped",
			want:   "provider cancelled", atRisk: true,
		},
		{
			name:   "Delivered",
			action: "/release ship lib@1",
			want:   "delivered",
		},
		// The same edge needed in lib's test stage: one edge-state
		// function, compared with the stage's planned date (the target's,
		// while test has none of its own) and delivered by a promotion.
		{
			name: "StageOnTrack", stage: true,
			setup:  []string{"/release move lib@1 2027-01-25 because vendor"},
			action: "/release stage lib@1 test on 2027-01-18",
			want:   "on track (2 days to spare)",
		},
		{
			name: "StageLateWithTheTarget", stage: true,
			action: "/release move lib@1 2027-01-25 because vendor",
			want:   "late (5 days)", atRisk: true,
		},
		{
			name: "StageLate", stage: true,
			setup:  []string{"/release move lib@1 2027-01-28 because vendor", "/release stage lib@1 test on 2027-01-18"},
			action: "/release stage lib@1 test on 2027-01-23 because flaky tests",
			want:   "late (3 days)", atRisk: true,
		},
		{
			name: "StageOverdue", stage: true,
			setup:  []string{"/release undepend app@1 on lib@1", "/release depend app@1 on lib@1 in test"},
			days:   20,
			action: "/release move app@1 2027-01-22 anyway",
			want:   "overdue (needed 2 days ago, not in test)", atRisk: true,
		},
		{
			name: "StageProviderCancelled", stage: true,
			action: "/release cancel lib@1 because dropped",
			want:   "provider cancelled", atRisk: true,
		},
		{
			name: "StageDelivered", stage: true,
			setup:  []string{"/release move lib@1 2027-01-25 because vendor"},
			action: "/release promote lib@1 to test",
			want:   "delivered",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := MustService(t)
			depend := "/release depend app@1 on lib@1 by 2027-01-20"
			if tt.stage {
				depend = "/release depend app@1 on lib@1 in test by 2027-01-20"
			}
			MustDoAll(t, svc, alice,
				"/release add app 1 2027-01-29",
				"/release add lib 1 2027-01-15",
				depend,
			)
			MustDoAll(t, svc, alice, tt.setup...)
			advance(t, svc, tt.days)
			views := map[string]string{
				"action": replyAndNews(t, svc, alice, tt.action),
				"show":   MustDo(t, svc, alice, "/release show app@1").Doc.Text,
				"impact": MustDo(t, svc, alice, "/release impact lib@1").Doc.Text,
			}
			for _, view := range []string{"action", "show", "impact"} {
				if !strings.Contains(views[view], tt.want) {
					t.Errorf("%s says nothing of %q:\n%s", view, tt.want, views[view])
				}
				if tt.stage && view != "action" && !strings.Contains(views[view], "in test") {
					t.Errorf("%s does not name the stage, test:\n%s", view, views[view])
				}
				for _, other := range tests {
					// The action may also say what the state was before.
					if view != "action" && other.want != tt.want && strings.Contains(views[view], other.want) {
						t.Errorf("%s also says %q:\n%s", view, other.want, views[view])
					}
				}
			}
			list := MustDo(t, svc, alice, "/release list at-risk").Doc.Text
			if got := slices.Contains(refsIn(list), "app@1"); got != tt.atRisk {
				t.Errorf("list at-risk names app@1: %v; want %v:\n%s", got, tt.atRisk, list)
			}
			if show := views["show"]; strings.Contains(show, "*at risk*") != tt.atRisk {
				t.Errorf("show marks app@1 at risk: %v; want %v:\n%s", !tt.atRisk, tt.atRisk, show)
			}
		})
	}
}

func TestOverdueRelease(t *testing.T) {
	svc := MustService(t)
	MustDoAll(t, svc, alice, "/release add app 1 2027-01-08", "/release add lib 1 2027-01-20", "/release depend lib@1 on app@1")
	advance(t, svc, 17) // Thu 2027-01-21: app@1's target passed 13 days ago
	list := MustDo(t, svc, alice, "/release list").Doc.Text
	if want := "*app@1* — Fri 2027-01-08 (13 days ago) · <@UALICE> · :warning: *overdue*"; !strings.Contains(list, want) {
		t.Errorf("list lacks %q:\n%s", want, list)
	}
	show := MustDo(t, svc, alice, "/release show app@1").Doc.Text
	if want := "*Status:* planned — :warning: *overdue*"; !strings.Contains(show, want) {
		t.Errorf("show lacks %q:\n%s", want, show)
	}
	docs, err := svc.Home(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	if want := "*app@1* — Fri 2027-01-08 (13 days ago) · <@UALICE> · :warning: *overdue*"; !strings.Contains(docs[0].Text, want) {
		t.Errorf("App Home lacks %q:\n%s", want, docs[0].Text)
	}
	// lib@1 needed app@1 by its own target, the 20th: that has passed too.
	if want := "*app@1* needed by Wed 2027-01-20, due Fri 2027-01-08 (passed, not shipped) — :warning: *overdue (needed 1 day ago, not shipped)*"; !strings.Contains(MustDo(t, svc, alice, "/release show lib@1").Doc.Text, want) {
		t.Errorf("show lib@1 lacks %q", want)
	}
}

func TestOverdueProviderHasNoDaysToSpareItLacks(t *testing.T) {
	svc := MustService(t)
	MustDoAll(t, svc, alice, "/release add app 1 2027-01-29", "/release add lib 1 2027-01-08", "/release depend app@1 on lib@1 by 2027-01-20")
	advance(t, svc, 14) // Mon 2027-01-18: lib@1 is 10 days overdue, app@1 needs it in 2 days
	for _, line := range []string{"/release show app@1", "/release impact lib@1"} {
		text := MustDo(t, svc, alice, line).Doc.Text
		if want := "on track (2 days to spare)"; !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", line, want, text)
		}
	}
}

func TestDependValidation(t *testing.T) {
	svc := MustService(t)
	MustDoAll(t, svc, alice,
		"/release add app 1 2027-01-29",
		"/release add lib 1 2027-01-15",
		"/release add old 1 2027-01-05",
		"/release add gone 1 2027-01-10",
		"/release ship old@1",
		"/release cancel gone@1 because dropped",
	)
	t.Run("RefusesNeededByAfterConsumerTarget", func(t *testing.T) {
		before := MustSnapshot(t, svc.Store)
		r := MustFail(t, svc, alice, "/release depend app@1 on lib@1 by 2027-02-10", store.EInvalid)
		if want := "Wed 2027-02-10 is after app@1's own target, Fri 2027-01-29"; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("reply lacks %q:\n%s", want, r.Doc.Text)
		}
		assertUnchanged(t, before, MustSnapshot(t, svc.Store))
	})
	t.Run("RefusesCancelledProvider", func(t *testing.T) {
		before := MustSnapshot(t, svc.Store)
		r := MustFail(t, svc, alice, "/release depend app@1 on gone@1", store.EConflict)
		if want := "gone@1 was cancelled"; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("reply lacks %q:\n%s", want, r.Doc.Text)
		}
		assertUnchanged(t, before, MustSnapshot(t, svc.Store))
	})
	t.Run("RecordsShippedProviderAsDelivered", func(t *testing.T) {
		r := MustDo(t, svc, alice, "/release depend app@1 on old@1")
		if want := "depends on *old@1*, needed by Fri 2027-01-29, shipped Mon 2027-01-04 — delivered on time."; !strings.Contains(r.Doc.Text, want) {
			t.Errorf("reply lacks %q:\n%s", want, r.Doc.Text)
		}
	})
}

func TestMoveReply(t *testing.T) {
	setup := func(t *testing.T) *commands.Service {
		svc := MustService(t)
		MustDoAll(t, svc, alice,
			"/release add lib 1 2027-01-15",
			"/release add app 1 2027-01-29",
			"/release add web 1 2027-02-05",
			"/release add top 1 2027-02-12",
			"/release depend app@1 on lib@1 by 2027-01-20",
			"/release depend web@1 on app@1",
			"/release depend top@1 on web@1",
		)
		return svc
	}
	t.Run("CountsNewlyAtRiskTransitively", func(t *testing.T) {
		svc := setup(t)
		text := replyAndNews(t, svc, alice, "/release move lib@1 2027-01-25 because vendor")
		if want := ":warning: 3 releases newly at risk: *app@1*, *top@1*, *web@1*"; strings.Count(text, want) != 2 {
			t.Errorf("reply and news should both say %q:\n%s", want, text)
		}
	})
	t.Run("SaysLessLateNotNowSlip", func(t *testing.T) {
		svc := setup(t)
		MustDo(t, svc, alice, "/release move lib@1 2027-01-30 because vendor")
		text := replyAndNews(t, svc, alice, "/release move lib@1 2027-01-25")
		if strings.Contains(text, "Now late") || strings.Contains(text, "newly at risk") {
			t.Errorf("a move that reduced lateness says things got worse:\n%s", text)
		}
		if want := ":warning: Still late, by less, for:\n• *app@1* needs it by Wed 2027-01-20 — :warning: *late (5 days)* (was late (10 days))"; !strings.Contains(text, want) {
			t.Errorf("reply lacks %q:\n%s", want, text)
		}
	})
	t.Run("SaysRecovered", func(t *testing.T) {
		svc := setup(t)
		MustDo(t, svc, alice, "/release move lib@1 2027-01-30 because vendor")
		text := MustDo(t, svc, alice, "/release move lib@1 2027-01-19").Doc.Text
		if want := ":white_check_mark: No longer late for:\n• *app@1* needs it by Wed 2027-01-20 — on track (1 day to spare) (was late (10 days))"; !strings.Contains(text, want) {
			t.Errorf("reply lacks %q:\n%s", want, text)
		}
	})
	t.Run("SaysTheMoverMadeTheirOwnReleaseLate", func(t *testing.T) {
		svc := setup(t)
		text := replyAndNews(t, svc, alice, "/release move web@1 2027-01-22")
		if want := ":warning: This makes *web@1* itself late:\n• *app@1* needed by Fri 2027-01-22, due Fri 2027-01-29 — :warning: *late (7 days)*"; strings.Count(text, want) != 2 {
			t.Errorf("reply and news should both say %q:\n%s", want, text)
		}
		if want := "2 releases newly at risk: *top@1*, *web@1*"; !strings.Contains(text, want) {
			t.Errorf("reply lacks %q:\n%s", want, text)
		}
	})
	t.Run("CapsNeededByAfterNewTarget", func(t *testing.T) {
		svc := setup(t)
		text := MustDo(t, svc, alice, "/release move app@1 2027-01-18").Doc.Text
		if want := ":scissors: Needed-by dates after the new target were moved to it, Mon 2027-01-18:\n• *lib@1* (was needed by Wed 2027-01-20)"; !strings.Contains(text, want) {
			t.Errorf("reply lacks %q:\n%s", want, text)
		}
		deps := MustSnapshot(t, svc.Store).Dependencies
		i := slices.IndexFunc(deps, func(d store.Dependency) bool { return d.Key() == "app@1 lib@1" })
		if i < 0 || deps[i].NeededBy != MustDate(t, "2027-01-18") {
			t.Errorf("dependencies = %+v; want app@1 → lib@1 needed by 2027-01-18", deps)
		}
		show := MustDo(t, svc, alice, "/release show app@1").Doc.Text
		if want := "*lib@1* needed by Mon 2027-01-18, due Fri 2027-01-15 — on track (3 days to spare)"; !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	})
}

func TestShowNamesRootCausesThroughADiamond(t *testing.T) {
	svc := MustService(t)
	MustDoAll(t, svc, alice,
		"/release add a 1 2027-01-15",
		"/release add b 1 2027-01-20",
		"/release add c 1 2027-01-22",
		"/release add d 1 2027-02-01",
		"/release add e 1 2027-02-10",
		"/release depend b@1 on a@1",
		"/release depend c@1 on a@1",
		"/release depend d@1 on b@1",
		"/release depend d@1 on c@1",
		"/release depend e@1 on d@1",
	)
	MustDo(t, svc, alice, "/release move a@1 2027-01-25 because token rotation")
	show := MustDo(t, svc, alice, "/release show e@1").Doc.Text
	for _, want := range []string{
		"*At risk because:*",
		"• *a@1* slipped 5 days past its needed-by Wed 2027-01-20 (moved by <@UALICE> on Mon 2027-01-04: “token rotation”) — through *d@1* → *b@1*",
		"• *a@1* slipped 3 days past its needed-by Fri 2027-01-22 (moved by <@UALICE> on Mon 2027-01-04: “token rotation”) — through *d@1* → *c@1*",
	} {
		if !strings.Contains(show, want) {
			t.Errorf("show e@1 lacks %q:\n%s", want, show)
		}
	}
	impact := MustDo(t, svc, alice, "/release impact a@1").Doc.Text
	if want := "└ *d@1* — needs *c@1* by Mon 2027-02-01 — on track (10 days to spare); needs *b@1* by Mon 2027-02-01 — on track (12 days to spare) · :warning: at risk"; !strings.Contains(impact, want) {
		t.Errorf("impact a@1 lacks %q:\n%s", want, impact)
	}
}

func TestShowNamesDependents(t *testing.T) {
	svc := MustService(t)
	MustDo(t, svc, alice, "/release add lib 1 2027-01-15")
	for i := range 12 {
		MustDoAll(t, svc, alice, fmt.Sprintf("/release add app%02d 1 2027-02-01", i), fmt.Sprintf("/release depend app%02d@1 on lib@1", i))
	}
	show := MustDo(t, svc, alice, "/release show lib@1").Doc.Text
	for _, want := range []string{
		"*Needed by:*\n• *app00@1* by Mon 2027-02-01 — on track (17 days to spare)",
		"• *app09@1* by Mon 2027-02-01",
		"…and 2 more — `/release impact lib@1`",
	} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}
	if strings.Contains(show, "app10@1") {
		t.Errorf("show names more dependents than its cap:\n%s", show)
	}
}

func TestHistorySaysOneDay(t *testing.T) {
	svc := MustService(t)
	MustDoAll(t, svc, alice, "/release add lib 1 2027-01-15", "/release move lib@1 2027-01-16 because x")
	if text, want := MustDo(t, svc, alice, "/release history lib@1").Doc.Text, "(1 day later)"; !strings.Contains(text, want) {
		t.Errorf("history lacks %q:\n%s", want, text)
	}
}
