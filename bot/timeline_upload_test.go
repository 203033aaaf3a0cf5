package bot

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relman/bot/slackfake"
	"relman/bot/timeline"
	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

// drainHTTP delivers everything queued, moving the fake clock to each
// next due time (spacing, Retry-After, backoff).
func (f *httpFixture) drain(tb testing.TB) {
	tb.Helper()
	for range 50 {
		if _, err := f.Outbox.Flush(context.Background()); err != nil {
			tb.Fatal(err)
		}
		next, err := f.Outbox.Next()
		if err != nil {
			tb.Fatal(err)
		}
		if next.IsZero() {
			return
		}
		if next.After(f.Clock.Now()) {
			f.Clock.Set(next)
		}
	}
	tb.Fatalf("outbox still busy after 50 flushes: %+v", f.MustOutbox(tb))
}

// timelineFixture is an HTTP fixture with payments@2.3.0 at risk
// (auth@1.4.0 slipped 5 days past its needed-by date), everything posted,
// the fake's calls forgotten.
func timelineFixture(t *testing.T) *httpFixture {
	t.Helper()
	f := MustHTTPFixture(t)
	for _, text := range []string{
		"add payments 2.3.0 2027-01-15", "add auth 1.4.0 2027-01-08",
		"depend payments@2.3.0 on auth@1.4.0", "move auth@1.4.0 2027-01-20 because the HSM firmware is late",
	} {
		if ack := MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody(text))); strings.Contains(ack.Text, "✗") || strings.Contains(ack.Text, ":x:") {
			t.Fatalf("%s: %s", text, ack.Text)
		}
	}
	f.drain(t)
	f.Fake.Reset()
	return f
}

// askTimeline types /release timeline over HTTP and checks the private answer.
func (f *httpFixture) askTimeline(t *testing.T) {
	t.Helper()
	ack := MustHTTPEphemeral(t, f.MustPost(t, "/slack/commands", httpFormType, f.releaseBody("timeline")))
	if !strings.Contains(ack.Text, "Posted the timeline of every product") {
		t.Fatalf("reply = %q; want it to say the timeline was posted", ack.Text)
	}
}

// textPosts returns the chat.postMessage calls to the channel.
func (f *httpFixture) textPosts() []slackfake.Call {
	var out []slackfake.Call
	for _, c := range f.Fake.CallsTo("chat.postMessage") {
		if c.Param("channel") == httpChannel {
			out = append(out, c)
		}
	}
	return out
}

func TestHTTPTimelineUpload(t *testing.T) {
	t.Run("PostsThePictureWithItsTextByTheThreeUploadCalls", func(t *testing.T) {
		f := timelineFixture(t)
		f.askTimeline(t)
		if n := len(f.Fake.CallsTo("files.getUploadURLExternal")); n != 0 {
			t.Fatalf("%d uploads before the outbox ran", n)
		}
		f.drain(t)
		for _, m := range []string{"files.getUploadURLExternal", "upload_url", "files.completeUploadExternal"} {
			if n := len(f.Fake.CallsTo(m)); n != 1 {
				t.Errorf("%d calls to %s; want 1", n, m)
			}
		}
		files := f.Fake.SharedFiles()
		if len(files) != 1 || files[0].Channel != httpChannel || files[0].Filename != "timeline.png" {
			t.Fatalf("shared files = %+v; want timeline.png in %s", files, httpChannel)
		}
		img, err := png.Decode(bytes.NewReader(files[0].Data))
		if err != nil {
			t.Fatalf("uploaded file is not a PNG: %v", err)
		}
		if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != timeline.Width || h < 200 {
			t.Errorf("picture is %dx%d; want %d wide and two lanes tall", w, h, timeline.Width)
		}
		if !strings.HasPrefix(files[0].AltText, "Release timeline · every product") {
			t.Errorf("alt text = %q", files[0].AltText)
		}
		msgs := f.Fake.Messages(httpChannel)
		last := msgs[len(msgs)-1]
		if len(last.Files) != 1 || !bytes.Contains(last.Blocks, []byte("needs *auth@1.4.0* by Fri 2027-01-15: *5d late*")) {
			t.Errorf("message with the picture = %+v; want the file and the timeline's text", last)
		}
		if n := len(f.textPosts()); n != 0 {
			t.Errorf("%d text posts besides the picture; want none", n)
		}
		if got := outboxMetric(t, f.Metrics, "relman_outbox_pictures_total", "outcome", "posted"); got != 1 {
			t.Errorf("pictures posted metric = %v; want 1", got)
		}
	})
	fallback := []struct {
		name    string
		fault   func(f *httpFixture)
		outcome string
		uploads int // calls to files.getUploadURLExternal
	}{
		{name: "PostsTheTextWhenSlackRefusesTheUpload", outcome: "upload_failed", uploads: 1,
			fault: func(f *httpFixture) {
				f.Fake.Fail("files.completeUploadExternal", slackfake.Fault{Error: "missing_scope"}, 0)
			}},
		{name: "PostsTheTextAfterThreeUploadsFailedOnServerErrors", outcome: "upload_failed", uploads: 3,
			fault: func(f *httpFixture) { f.Fake.ServerError("upload_url", 0) }},
		{name: "PostsTheTextWhenThePictureIsOverTheLimit", outcome: "too_big", uploads: 0,
			fault: func(f *httpFixture) { f.Outbox.MaxPicture = 1000 }},
	}
	for _, tc := range fallback {
		t.Run(tc.name, func(t *testing.T) {
			f := timelineFixture(t)
			tc.fault(f)
			f.askTimeline(t)
			f.drain(t)
			posts := f.textPosts()
			if len(posts) != 1 || !strings.Contains(posts[0].Param("text"), "Release timeline · every product") {
				t.Fatalf("text posts = %d; want the timeline's text once", len(posts))
			}
			if n := len(f.Fake.CallsTo("files.getUploadURLExternal")); n != tc.uploads {
				t.Errorf("%d upload attempts; want %d", n, tc.uploads)
			}
			if n := len(f.Fake.SharedFiles()); n != 0 {
				t.Errorf("%d files shared; want none", n)
			}
			if left := f.MustOutbox(t); len(left) != 0 {
				t.Errorf("outbox = %+v; want empty: the text went", left)
			}
			if got := outboxMetric(t, f.Metrics, "relman_outbox_pictures_total", "outcome", tc.outcome); got != 1 {
				t.Errorf("pictures %s metric = %v; want 1", tc.outcome, got)
			}
		})
	}
	t.Run("WaitsOutARateLimitAndPostsThePicture", func(t *testing.T) {
		f := timelineFixture(t)
		f.Fake.RateLimit("files.getUploadURLExternal", 30, 1)
		f.askTimeline(t)
		start := f.Clock.Now()
		f.drain(t)
		if len(f.Fake.SharedFiles()) != 1 || len(f.textPosts()) != 0 {
			t.Fatalf("shared %d files and %d text posts; want the picture alone", len(f.Fake.SharedFiles()), len(f.textPosts()))
		}
		if waited := f.Clock.Now().Sub(start); waited < 30*time.Second {
			t.Errorf("picture went %v after the 429; want after its Retry-After, 30s", waited)
		}
	})
}

func TestOutboxPicture(t *testing.T) {
	picture := func(testing.TB) *store.Timeline {
		today := store.DateOf(outboxStart, time.UTC)
		return &store.Timeline{Title: "Release timeline · payments", From: today.AddDays(-14), To: today.AddDays(56), Today: today,
			Lanes: []store.TimelineLane{{Name: "payments", Items: []store.TimelineItem{{Key: "payments@2.3.0", Label: "2.3.0", Date: today.AddDays(10), Kind: store.ItemPlanned}}}}}
	}
	t.Run("OpensTheDMOfADigestWithAPicture", func(t *testing.T) {
		h := outboxFixture(t)
		m := outboxText("UKIM", "Digest for payments")
		m.DM, m.Picture = true, picture(t)
		h.enqueue(t, m)
		h.drain(t)
		files := h.fake.SharedFiles()
		if len(files) != 1 || files[0].Channel != slackfake.DMChannel("UKIM") {
			t.Fatalf("shared files = %+v; want one in UKIM's DM", files)
		}
	})
	t.Run("AnUploadWhoseAnswerWasLostIsFoundNotPostedAgain", func(t *testing.T) {
		h := outboxFixture(t)
		h.fake.Fail("files.completeUploadExternal", slackfake.Fault{Status: http.StatusInternalServerError, Accepted: true}, 1)
		m := outboxText("C1", "Digest for payments")
		m.Picture = picture(t)
		h.enqueue(t, m)
		h.drain(t)
		if files := h.fake.SharedFiles(); len(files) != 1 {
			t.Errorf("shared files = %d; want 1 (the retry found the message Slack took by its block IDs)", len(files))
		}
		if got := h.texts("C1"); len(got) != 1 {
			t.Errorf("C1 holds %d messages; want 1", len(got))
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_found_posted_total"); got != 1 {
			t.Errorf("relman_outbox_found_posted_total = %v; want 1", got)
		}
		if q := h.queue(t); len(q) != 0 {
			t.Errorf("outbox after the drain = %+v; want empty", q)
		}
	})
	t.Run("EditsGoWithoutThePicture", func(t *testing.T) {
		h := outboxFixture(t)
		orig := outboxText("C1", "v1")
		orig.Ref = "x:1"
		h.enqueue(t, orig)
		h.drain(t)
		edit := outboxText("C1", "v2")
		edit.UpdateOf, edit.Picture = "x:1", picture(t)
		h.enqueue(t, edit)
		h.drain(t)
		if n := len(h.fake.CallsTo("files.getUploadURLExternal")); n != 0 || len(h.fake.CallsTo("chat.update")) != 1 {
			t.Errorf("%d uploads for an edit; want none, and one chat.update", n)
		}
	})
	t.Run("PostsTheTextWhenThePictureCannotBeDrawn", func(t *testing.T) {
		h := outboxFixture(t)
		m := outboxText("C1", "timeline")
		m.Picture = picture(t)
		m.Picture.To = m.Picture.From.AddDays(-3)
		h.enqueue(t, m)
		h.drain(t)
		if got := h.texts("C1"); len(got) != 1 || got[0] != "timeline" || len(h.fake.SharedFiles()) != 0 {
			t.Errorf("posted %q and %d files; want the text alone", got, len(h.fake.SharedFiles()))
		}
		if got := outboxMetric(t, h.metrics, "relman_outbox_pictures_total", "outcome", "render_failed"); got != 1 {
			t.Errorf("render_failed metric = %v; want 1", got)
		}
	})
}

func TestConsoleTimelineWritesThePicture(t *testing.T) {
	st, err := boltdb.Open(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := store.NewFakeClock(transcriptStart)
	var out bytes.Buffer
	dir := t.TempDir()
	svc := &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: clock, Loc: time.UTC}
	con := &Console{Dispatcher: &Dispatcher{Service: svc}, Outbox: NewConsoleOutbox(st, clock, &out), Clock: clock, Out: &out,
		In: strings.NewReader("add payments 2.3.0 2027-01-20\ntimeline\n"), User: "alex", Channel: "releases", Pictures: dir}
	if err := con.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(files) != 1 || !strings.Contains(out.String(), "[picture: "+files[0]+"]") {
		t.Fatalf("pictures %v; output:\n%s", files, out.String())
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(b)); err != nil || img.Bounds().Dx() != timeline.Width {
		t.Errorf("%s is not a %d-wide PNG: %v", files[0], timeline.Width, err)
	}
}
