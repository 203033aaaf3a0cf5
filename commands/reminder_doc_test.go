package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"relman/commands/render"
	"relman/store"
)

func TestReconfirmRequest(t *testing.T) {
	svc := MustService(t, root)
	MustFixture(t, svc)
	MustDo(t, svc, alice, `/release depend auth@1.4.0 on external "AT&amp;T &lt;API&gt;" due 2027-01-06 owner <@USAM|sam>`)
	var x *store.External
	if err := svc.Store.View(context.Background(), func(tx *store.Tx) (err error) {
		x, err = tx.External("AT&T <API>")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	now := epoch.Add(16 * 24 * time.Hour) // Wed 2027-01-20
	doc := render.ReconfirmRequest(*x, []store.Ref{{Product: "auth", Version: "1.4.0"}, {Product: "mobile", Version: "5.0"}},
		store.NewDate(2027, 1, 8), now, time.UTC)

	t.Run("SaysWhatAndWhoWaits", func(t *testing.T) {
		for _, w := range []string{
			"Is external “AT&amp;T &lt;API&gt;” still due Wed 2027-01-06 (14 days ago)? It was last confirmed on Mon 2027-01-04 (16 days ago).",
			"*auth@1.4.0* and *mobile@5.0* need it by Fri 2027-01-08 (12 days ago).",
		} {
			if !strings.Contains(doc.Text, w) {
				t.Errorf("request lacks %q:\n%s", w, doc.Text)
			}
		}
		if len(doc.Buttons) != 2 || doc.Buttons[0].Text != "Still on Wed 2027-01-06" || doc.Buttons[1].Text != "New date…" {
			t.Errorf("buttons = %+v; want Still on Wed 2027-01-06 and New date…", doc.Buttons)
		}
	})

	svc.Clock.(*store.FakeClock).Set(now)
	t.Run("ButtonsRunWhatFormatWrites", func(t *testing.T) { checkButtonsFormatted(t, doc) })
	t.Run("StillOnConfirmsAsTheOwner", func(t *testing.T) {
		cmd, ok := render.RunCommand(doc.Buttons[0].ActionID, doc.Buttons[0].Value)
		if !ok {
			t.Fatalf("the first button does not run a command: %+v", doc.Buttons[0])
		}
		MustFail(t, svc, bob, "/release "+cmd, store.EForbidden)
		MustDo(t, svc, sam, "/release "+cmd)
	})
	t.Run("NewDateMovesItAsTheOwner", func(t *testing.T) {
		ask, ok := render.AskForm(doc.Buttons[1].ActionID, doc.Buttons[1].Value)
		if !ok || ask.Date != "2027-01-06" || !ask.Reason {
			t.Fatalf("the second button is not a form preset to the due date, with a reason: %+v", doc.Buttons[1])
		}
		cmd, err := ask.Fill("2027-01-27", "the vendor's certification slipped")
		if err != nil {
			t.Fatal(err)
		}
		MustDo(t, svc, sam, "/release "+cmd)
		if err := svc.Store.View(context.Background(), func(tx *store.Tx) (err error) {
			x, err = tx.External("at&t <api>")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if x.Due != store.NewDate(2027, 1, 27) || !x.LastConfirmed.Equal(now) {
			t.Errorf("after New date: due %v, confirmed %v; want 2027-01-27, %v", x.Due, x.LastConfirmed, now)
		}
		if h := x.History[len(x.History)-1]; h.Reason != "the vendor's certification slipped" {
			t.Errorf("after New date: history entry %+v; want the form's reason", h)
		}
	})
}
