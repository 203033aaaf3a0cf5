package commands_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/commands"
	"relman/commands/render"
	"relman/store"
)

// MustGeneration returns the store's generation.
func MustGeneration(tb testing.TB, st *store.Store) uint64 {
	tb.Helper()
	gen, err := st.Generation(context.Background())
	if err != nil {
		tb.Fatalf("Generation() = %v", err)
	}
	return gen
}

// MustMoveIt returns the command of a preview's "Move it" button.
func MustMoveIt(tb testing.TB, r commands.Reply) string {
	tb.Helper()
	for _, b := range r.Doc.Buttons {
		if cmd, ok := render.RunCommand(b.ActionID, b.Value); ok && b.Text == "Move it" {
			return cmd
		}
	}
	tb.Fatalf("the preview has no Move it button; buttons: %+v", r.Doc.Buttons)
	return ""
}

// recipients says where messages go, each once, in order: "#C" for a
// channel, "@U" for a DM.
func recipients(ms []store.Message) []string {
	var out []string
	for _, m := range ms {
		to := "#" + m.Channel
		if m.DM {
			to = "@" + m.Channel
		}
		if !slices.Contains(out, to) {
			out = append(out, to)
		}
	}
	return out
}

func TestMovePreview(t *testing.T) {
	const line = "/release move payments@2.3.0 2027-02-01 because the PCI audit moved"

	t.Run("SaysWhatTheMoveWouldDoAndSavesNothing", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		// mobile's release manager is bob: alice, who moves, is not DMed of
		// her own move.
		MustDo(t, svc, alice, "/release role mobile@5.0 release-manager <@UBOB>")
		before, gen := MustSnapshot(t, svc.Store), MustGeneration(t, svc.Store)
		r := MustDo(t, svc, alice, line+" preview")
		for _, want := range []string{
			"*What if payments@2.3.0 moved to Mon 2027-02-01*",
			"*Preview, nothing saved.* Moving *payments@2.3.0* from Fri 2027-01-15 to Mon 2027-02-01 (17 days later) because the PCI audit moved would:",
			"Now late for:\n• *mobile@5.0* (owner <@UALICE>) needs it by Fri 2027-01-29 — :warning: *late (3 days)*",
			"*Newly at risk* (1 release), with the slack of each one's tightest edge:\n• *mobile@5.0* — slack −3 days: needs *payments@2.3.0* by Fri 2027-01-29",
			"*Who hears of it:* relman would post in <#CPAY> and <#CMOB>, and DM <@UBOB> (in their working hours) — 3 messages.",
		} {
			if !strings.Contains(r.Doc.Text, want) {
				t.Errorf("preview lacks %q:\n%s", want, r.Doc.Text)
			}
		}
		if r.Queued != 0 {
			t.Errorf("preview Reply.Queued = %d; want 0", r.Queued)
		}
		checkButtonsFormatted(t, r.Doc)
		if got, want := MustMoveIt(t, r), `move payments@2.3.0 2027-02-01 because "the PCI audit moved"`; got != want {
			t.Errorf("Move it runs %q; want %q", got, want)
		}
		assertUnchanged(t, before, MustSnapshot(t, svc.Store))
		if got := MustGeneration(t, svc.Store); got != gen {
			t.Errorf("generation after a preview = %d; want %d as before", got, gen)
		}
	})

	t.Run("MoveItDoesWhatThePreviewSaid", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release role mobile@5.0 release-manager <@UBOB>")
		preview := MustDo(t, svc, alice, line+" preview")
		before := MustSnapshot(t, svc.Store)
		moved := MustDo(t, svc, alice, "/release "+MustMoveIt(t, preview))
		if !strings.Contains(moved.Doc.Text, "Moved *payments@2.3.0* from Fri 2027-01-15 to Mon 2027-02-01") {
			t.Errorf("Move it replied:\n%s", moved.Doc.Text)
		}
		got := recipients(MustNewMessages(t, svc, before))
		want := []string{"#CPAY", "#CMOB", "@UBOB"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the move's messages went elsewhere than the preview said (-want +got):\n%s", diff)
		}
		// Its effects are the ones the preview listed, said the same way.
		for _, effect := range []string{"Now late for:\n• *mobile@5.0*", "1 release newly at risk: *mobile@5.0*"} {
			if !strings.Contains(moved.Doc.Text, strings.ReplaceAll(effect, " (owner <@UALICE>)", "")) {
				t.Errorf("the move's reply lacks %q:\n%s", effect, moved.Doc.Text)
			}
		}
	})

	t.Run("MoveItIsCheckedAgainstTheStateWhenClicked", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		preview := MustDo(t, svc, alice, line+" preview")
		MustDo(t, svc, alice, "/release cancel payments@2.3.0 because folded into 2.4")
		r := MustFail(t, svc, alice, "/release "+MustMoveIt(t, preview), store.EConflict)
		if !strings.Contains(r.Doc.Text, "payments@2.3.0 is cancelled; only planned releases can be moved") {
			t.Errorf("Move it after a cancel replied:\n%s", r.Doc.Text)
		}
	})

	t.Run("NamesRecoveriesAndTheCRsAndFreezesItTouches", func(t *testing.T) {
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release move payments@2.3.0 2027-02-01 because the PCI audit moved")
		MustDo(t, svc, root, "/ccb board default members add <@UBOB|bob>")
		MustDo(t, svc, alice, "/ccb request mobile@5.0 drop the tablet layout")
		MustDo(t, svc, alice, "/ccb request auth@1.4.0 rotate keys") // not touched
		if err := svc.Store.Update(context.Background(), root, epoch, func(tx *store.Tx) error {
			return tx.NewFreeze("freeze.add", &store.Freeze{Products: []string{"payments"}, From: MustDate(t, "2027-01-25"), To: MustDate(t, "2027-02-05"), Reason: "year-end <!channel>"})
		}); err != nil {
			t.Fatal(err)
		}
		r := MustDo(t, svc, root, "/release move payments@2.3.0 2027-01-20 anyway preview")
		for _, want := range []string{
			"No longer late for:\n• *mobile@5.0* (owner <@UALICE>) needs it by Fri 2027-01-29 — on track (9 days to spare) (was late (3 days))",
			":snowflake: It would leave freeze FZ-1 (payments, Mon 2027-01-25 to Fri 2027-02-05), which its current date Mon 2027-02-01 is in.",
		} {
			if !strings.Contains(r.Doc.Text, want) {
				t.Errorf("preview of an earlier date lacks %q:\n%s", want, r.Doc.Text)
			}
		}
		MustDo(t, svc, alice, "/release move payments@2.3.0 2027-01-15")
		r = MustDo(t, svc, root, "/release move payments@2.3.0 2027-02-03 anyway because audit preview")
		for _, want := range []string{
			"*Open change requests it touches* (1):\n• CR-1 “drop the tablet layout” on *mobile@5.0* — closes",
			":snowflake: Inside FZ-1 (payments, from Mon 2027-01-25 to Fri 2027-02-05: “year-end &lt;!channel&gt;”), by admin override.",
		} {
			if !strings.Contains(r.Doc.Text, want) {
				t.Errorf("preview into a freeze lacks %q:\n%s", want, r.Doc.Text)
			}
		}
		if strings.Contains(r.Doc.Text, "CR-2") {
			t.Errorf("preview names CR-2, on auth@1.4.0, which the move does not touch:\n%s", r.Doc.Text)
		}
	})

	t.Run("RefusesAsTheMoveWould", func(t *testing.T) {
		for _, tc := range []struct {
			name, as, line, code string
		}{
			{"ForSomeoneElse", bob, line, store.EForbidden},
			{"ForAPastDateWithoutAnyway", alice, "/release move payments@2.3.0 2027-01-01 because rebased", store.EInvalid},
			{"ForALaterDateWithoutAReason", alice, "/release move payments@2.3.0 2027-02-01", store.EInvalid},
			{"ForTheSameDate", alice, "/release move payments@2.3.0 2027-01-15 because x", store.EInvalid},
			{"ForAnUnknownRelease", alice, "/release move payments@9.9 2027-02-01 because x", store.ENotFound},
			{"ForACancelledRelease", alice, "/release move auth@1.4.0 2027-02-01 because x", store.EConflict},
		} {
			t.Run(tc.name, func(t *testing.T) {
				svc := MustService(t, root)
				MustFixture(t, svc)
				MustDo(t, svc, alice, "/release cancel auth@1.4.0 because vendor folded")
				before := MustSnapshot(t, svc.Store)
				preview := MustFail(t, svc, tc.as, tc.line+" preview", tc.code)
				assertUnchanged(t, before, MustSnapshot(t, svc.Store))
				move := MustFail(t, svc, tc.as, tc.line, tc.code)
				if preview.Doc.Text != move.Doc.Text {
					t.Errorf("preview refused with\n%s\nbut the move with\n%s", preview.Doc.Text, move.Doc.Text)
				}
			})
		}
	})

	t.Run("LeavesTheSharedGraphAlone", func(t *testing.T) {
		// Had the rolled-back move's Graph been shared as the next
		// generation's, the next real change would leave it there and
		// show would serve the preview's date.
		svc := MustService(t, root)
		MustFixture(t, svc)
		MustDo(t, svc, alice, "/release show payments@2.3.0") // the Graph is shared from here on
		MustDo(t, svc, alice, line+" preview")
		MustDo(t, svc, alice, "/release move auth@1.4.0 2027-01-07")
		r := MustDo(t, svc, alice, "/release show payments@2.3.0")
		if !strings.Contains(r.Doc.Text, "Fri 2027-01-15") || strings.Contains(r.Doc.Text, "2027-02-01") {
			t.Errorf("show after a preview and another change:\n%s", r.Doc.Text)
		}
	})
}

// TestParseMovePreview: preview and anyway are read wherever they may
// go, a reason ending in the word stays a reason in the command the
// preview's Move it runs (Format, in quotes), and nothing needs a store.
func TestParseMovePreview(t *testing.T) {
	for _, tc := range []struct {
		name, line, moveIt string
	}{
		{"AfterTheReason", "move payments@2.3.0 +4w because audit preview", `move payments@2.3.0 2027-02-01 because "audit"`},
		{"WithoutAReason", "move payments@2.3.0 2027-01-12 preview", "move payments@2.3.0 2027-01-12"},
		{"AfterAnyway", "move payments@2.3.0 2027-01-01 anyway preview", "move payments@2.3.0 2027-01-01 anyway"},
		{"BeforeAnyway", "move payments@2.3.0 2027-01-01 preview anyway", "move payments@2.3.0 2027-01-01 anyway"},
		{"AfterReasonAndAnyway", "move payments@2.3.0 2027-01-01 because rebased anyway preview", `move payments@2.3.0 2027-01-01 anyway because "rebased"`},
		{"AfterReasonBeforeAnyway", "move payments@2.3.0 2027-01-01 because rebased preview anyway", `move payments@2.3.0 2027-01-01 anyway because "rebased"`},
		{"BeforeAnywayForALaterDate", "move payments@2.3.0 2027-02-01 because audit preview anyway", `move payments@2.3.0 2027-02-01 anyway because "audit"`},
		{"InAnyCase", "move payments@2.3.0 2027-02-01 because audit PREVIEW", `move payments@2.3.0 2027-02-01 because "audit"`},
		{"WithAReasonEndingInTheWord", "move payments@2.3.0 2027-02-01 because the SDK preview preview", `move payments@2.3.0 2027-02-01 because "the SDK preview"`},
		{"WithAQuotedReasonEndingInTheWord", `move payments@2.3.0 2027-02-01 because "the SDK preview" preview`, `move payments@2.3.0 2027-02-01 because "the SDK preview"`},
		{"WithEscapedReason", "move payments@2.3.0 2027-02-01 because a &lt;b&gt; &amp; c preview", `move payments@2.3.0 2027-02-01 because "a &lt;b&gt; &amp; c"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := commands.Parse("/release", tc.line, today)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.line, err)
			}
			want := tc.moveIt + " preview"
			if got := commands.Format(c); got != want {
				t.Errorf("Format(Parse(%q)) = %q; want %q", tc.line, got, want)
			}
			moveIt, err := commands.Parse("/release", tc.moveIt, today)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.moveIt, err)
			}
			if got := commands.Format(moveIt); got != tc.moveIt {
				t.Errorf("Move it's %q reads back as %q, a preview or another move", tc.moveIt, got)
			}
		})
	}
	t.Run("ReasonEndingInPreviewIsNotOneWithoutTheWord", func(t *testing.T) {
		line := "move payments@2.3.0 2027-02-01 because the preview build failed"
		c, err := commands.Parse("/release", line, today)
		if want := `move payments@2.3.0 2027-02-01 because "the preview build failed"`; err != nil || commands.Format(c) != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", line, c, err, want)
		}
	})
}

func TestAskFillKeepsAReasonEndingInPreviewAMove(t *testing.T) {
	a := render.Ask{Command: "move payments@2.3.0 {date} {reason}", Reason: true, Preview: true}
	got, err := a.Fill("2027-02-12", "waiting for the SDK Preview")
	if want := `move payments@2.3.0 2027-02-12 because "waiting for the SDK Preview"`; err != nil || got != want {
		t.Fatalf("Fill() = %q, %v; want %q", got, err, want)
	}
	svc := MustService(t, root)
	MustFixture(t, svc)
	r := MustDo(t, svc, alice, "/release "+got)
	if !strings.Contains(r.Doc.Text, "Moved *payments@2.3.0*") {
		t.Errorf("the form's command is not a move:\n%s", r.Doc.Text)
	}
	if got := MustRelease(t, svc.Store, "payments@2.3.0").History; got[len(got)-1].Reason != "waiting for the SDK Preview" {
		t.Errorf("stored reason = %q; want it as typed", got[len(got)-1].Reason)
	}
	// With "preview" after it, as the form's "Preview first" adds it.
	r = MustDo(t, svc, alice, "/release "+strings.Replace(got, "2027-02-12", "2027-02-19", 1)+" preview")
	if !strings.Contains(r.Doc.Text, "Preview, nothing saved") {
		t.Errorf("the form's command with preview is not a preview:\n%s", r.Doc.Text)
	}
}

func TestMovePreviewNamesTheFirstTenNewlyAtRisk(t *testing.T) {
	svc := MustService(t, root)
	MustDo(t, svc, alice, "/release add payments 2.3.0 2027-01-15")
	for i := range 15 {
		MustDoAll(t, svc, alice,
			fmt.Sprintf("/release add app%02d 1.0 2027-02-%02d", i, 1+i),
			fmt.Sprintf("/release depend app%02d@1.0 on payments@2.3.0", i))
	}
	r := MustDo(t, svc, alice, "/release move payments@2.3.0 2027-03-01 because the audit preview")
	for _, want := range []string{
		"*Newly at risk* (15 releases), with the slack of each one's tightest edge:\n• *app00@1.0* — slack −28 days: needs *payments@2.3.0* by Mon 2027-02-01",
		"• *app09@1.0* — slack −19 days",
		"…and 5 more — after the move, `/release impact payments@2.3.0`",
	} {
		if !strings.Contains(r.Doc.Text, want) {
			t.Errorf("preview lacks %q:\n%s", want, r.Doc.Text)
		}
	}
	if strings.Contains(r.Doc.Text, "*app10@1.0* — slack") {
		t.Errorf("preview names an 11th release newly at risk:\n%s", r.Doc.Text)
	}
}
