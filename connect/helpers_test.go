package connect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/reminders"
	"relman/store"
	"relman/store/boltdb"
)

const (
	alice  = "UALICE"
	secret = "s3cret"
)

// MustService returns a Service on a fresh bbolt store whose fake clock
// stands at the real time (signatures are checked against it), alice an
// admin.
func MustService(tb testing.TB) *commands.Service {
	tb.Helper()
	st, err := boltdb.Open(filepath.Join(tb.TempDir(), "relman.db"), boltdb.Options{})
	if err != nil {
		tb.Fatalf("boltdb.Open: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return &commands.Service{Alerts: reminders.DueAfterCommand, Store: st, Clock: store.NewFakeClock(time.Now()), Loc: time.UTC, Admins: []string{alice}}
}

// MustDo runs a command line as user in channel CREL and fails tb unless
// it succeeds.
func MustDo(tb testing.TB, svc *commands.Service, user, line string) commands.Reply {
	tb.Helper()
	cmd, text, _ := strings.Cut(line, " ")
	r := svc.Execute(context.Background(), commands.Request{User: user, Channel: "CREL", Command: cmd, Text: text})
	if !r.OK() {
		tb.Fatalf("%s: %s", line, r.Doc.Text)
	}
	return r
}

// snapshot is what a webhook may change: releases, links, the outbox.
type snapshot struct {
	Releases []store.Release
	Links    []store.Link
	Outbox   []store.Message
}

func MustSnapshot(tb testing.TB, svc *commands.Service) snapshot {
	tb.Helper()
	var s snapshot
	err := svc.Store.View(context.Background(), func(tx *store.Tx) error {
		var err error
		if s.Releases, err = tx.Releases(); err != nil {
			return err
		}
		if s.Links, err = tx.Links(); err != nil {
			return err
		}
		s.Outbox, err = tx.Outbox()
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func assertSame(tb testing.TB, before, after snapshot) {
	tb.Helper()
	a, _ := json.Marshal(before)
	b, _ := json.Marshal(after)
	if !bytes.Equal(a, b) {
		tb.Errorf("the store changed:\nbefore %s\nafter  %s", a, b)
	}
}

// MustRelease reads ref.
func MustRelease(tb testing.TB, svc *commands.Service, ref string) *store.Release {
	tb.Helper()
	var r *store.Release
	err := svc.Store.View(context.Background(), func(tx *store.Tx) error {
		rf, err := store.ParseRef(ref)
		if err != nil {
			return err
		}
		r, err = tx.Release(rf)
		return err
	})
	if err != nil {
		tb.Fatalf("release %s: %v", ref, err)
	}
	return r
}

// outboxTexts is the text of every message queued, in order.
func outboxTexts(tb testing.TB, svc *commands.Service) []string {
	var out []string
	for _, m := range MustSnapshot(tb, svc).Outbox {
		out = append(out, m.Channel+": "+m.Doc.Text)
	}
	return out
}

// post sends body to srv's path with headers, and returns the status and
// the decoded JSON answer.
func post(tb testing.TB, url, contentType string, body []byte, headers map[string]string) (int, map[string]string) {
	tb.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a map[string]string
	if resp.StatusCode != http.StatusNotFound || len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &a); err != nil {
			tb.Fatalf("answer %d is not JSON: %q", resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, a
}

func serve(tb testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}
