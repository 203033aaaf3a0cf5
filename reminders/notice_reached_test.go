package reminders

import (
	"strings"
	"testing"
	"time"

	"relman/store"
)

// The news that a provider reached the stage a consumer needs it in is
// worded when it is delivered, and dropped when it no longer matters: it
// is queued on a Saturday and held to Monday.
func TestRenderNoticeStageReached(t *testing.T) {
	reached := func(t *testing.T) (*alertFixture, store.Message) {
		f := MustAlertFixture(t)
		f.do(t, "UALICE", "add vendor 1.0 2027-01-20 owner <@UKIM|kim>")
		f.do(t, "UKIM", "stage vendor@1.0 test on 2027-01-12")
		f.do(t, "URITA", "depend mobile@5.0 on vendor@1.0 in test by 2027-01-15")
		f.seen = len(mustOutbox(t, f.st))
		f.clock.Set(day(9, 10)) // Saturday: held to Monday
		f.do(t, "UKIM", "promote vendor@1.0 to test")
		got := f.queued(t, store.KindReached, "URITA")
		if len(got) != 1 {
			t.Fatalf("the promotion queued %v to URITA; want one notice that vendor reached test", got)
		}
		return f, got[0]
	}

	t.Run("HeldOverTheWeekendSaysTheStateAsOfMonday", func(t *testing.T) {
		f, m := reached(t)
		text, ok := renderAt(t, f.st, m, day(11, 9), time.UTC)
		if !ok || !strings.Contains(text, "reached test on Sat 2027-01-09") || !strings.Contains(text, "needed it in test by Fri 2027-01-15") ||
			!strings.Contains(text, "delivered") {
			t.Errorf("delivered Monday it reads %q (%v); want when vendor reached test, the needed-by date and the edge delivered", text, ok)
		}
	})

	t.Run("DroppedOnceTheConsumerIsCancelled", func(t *testing.T) {
		f, m := reached(t)
		f.clock.Set(day(10, 10))
		f.do(t, "URITA", "cancel mobile@5.0 because the launch was called off")
		if text, ok := renderAt(t, f.st, m, day(11, 9), time.UTC); ok {
			t.Errorf("with mobile@5.0 cancelled the news reads %q; want it dropped", text)
		}
	})
}
