package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Promotion over HTTP, end to end: a signed /release promote is answered
// privately, and the outbox delivers the news to the release's channel and,
// for the stage a consumer waits on, to the consumer's release manager.
func TestHTTPPromotionNews(t *testing.T) {
	f := MustHTTPFixture(t)
	for _, text := range []string{
		"add payments 4.2.0 2027-02-15 channel <#CPAY|payments>",
		"pipeline payments build test staging production",
		"stage payments@4.2.0 test on 2027-01-18",
		"add checkout 3.1 2027-02-26 channel <#CCHK|checkout>",
		"role checkout@3.1 release-manager <@URITA|rita>",
		"depend checkout@3.1 on payments@4.2.0 in test by 2027-01-20",
	} {
		if ack := MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody(text))); strings.HasPrefix(ack.Text, ":x:") {
			t.Fatalf("/release %s: %s", text, ack.Text)
		}
	}
	flushAll(t, f)
	before := len(f.Fake.Messages("CPAY"))

	ack := MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody("promote payments 4.2.0 to test")))
	if want := "*payments@4.2.0* is in test (also reached: build); posted in <#CPAY>."; !strings.Contains(ack.Text, want) {
		t.Errorf("reply = %q; want %q", ack.Text, want)
	}
	if r := f.MustRelease(t, "payments@4.2.0"); r.CurrentStage() != "test" {
		t.Errorf("stored release is in %q; want test", r.CurrentStage())
	}
	flushAll(t, f)
	news := f.Fake.Messages("CPAY")[before:]
	if len(news) != 1 || !strings.Contains(news[0].Text, "promoted *payments@4.2.0* to test") || !strings.Contains(news[0].Text, "*checkout@3.1* needed it in test by Wed 2027-01-20") {
		t.Errorf("#payments got %+v; want the promotion, naming checkout@3.1's need of it in test", news)
	}
	dms := f.Fake.Messages("URITA")
	if len(dms) != 1 || !strings.Contains(dms[0].Text, "*payments@4.2.0* reached test on Mon 2027-01-04: *checkout@3.1* needed it in test by Wed 2027-01-20 — delivered on time") {
		t.Errorf("rita's DMs = %+v; want one saying the edge in test is delivered", dms)
	}

	// Backwards is refused privately, and changes nothing.
	state := f.MustState(t)
	ack = MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody("promote payments 4.2.0 to build")))
	if !strings.Contains(ack.Text, "never backwards") || !strings.Contains(fmt.Sprintf("%s", ack.Blocks), "/release promote") {
		t.Errorf("backwards reply = %q; want the refusal with the usage line", ack.Text)
	}
	if got := f.MustState(t); got != state {
		t.Errorf("a refused promote changed the store: %+v; was %+v", got, state)
	}
}

// flushAll delivers the whole outbox, a second of the fake clock between
// rounds, as the worker would.
func flushAll(tb testing.TB, f *httpFixture) {
	tb.Helper()
	for range 20 {
		if _, err := f.Outbox.Flush(context.Background()); err != nil {
			tb.Fatal(err)
		}
		if len(f.MustOutbox(tb)) == 0 {
			return
		}
		f.Clock.Advance(time.Second)
	}
	tb.Fatalf("the outbox still holds %d messages", len(f.MustOutbox(tb)))
}
