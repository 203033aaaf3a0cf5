package connect_test

import (
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"relman/commands"
	"relman/connect"
)

// The fuzz targets feed the two webhook decoders through their real
// handlers, each input signed with the fixture's secret so it gets past
// the signature check: no panic, no 5xx, an answer in JSON, and a refused
// input (a 4xx) changes nothing. Run one with
//
//	go test ./connect -run '^$' -fuzz '^FuzzDeployWebhook$' -fuzztime 60s

func FuzzDeployWebhook(f *testing.F) {
	for _, s := range []string{
		`{"release":"payments@4.2.0","stage":"production","status":"success","url":"https://ci.example.com/run/81","at":"2026-12-20T10:00:00Z"}`,
		`{"release":"payments@4.2.0","stage":"prod","status":"failure"}`,
		`{"release":"payments@9","stage":"test","status":"success"}`,
		`{"release":"payments","stage":"","status":"pending"}`,
		`{"release":"payments@4.2.0","stage":"production","status":"success","url":"javascript:x","at":"yesterday"}`,
		`[]`, `null`, `{"release":1}`, `{} {}`,
	} {
		f.Add([]byte(s))
	}
	svc := MustService(f)
	MustDo(f, svc, alice, "/release add payments 4.2.0 +7d channel <#CPAY|pay>")
	h := &connect.Deploy{Secret: secret, Run: svc, Service: svc, Clock: svc.Clock}
	f.Fuzz(func(t *testing.T, body []byte) {
		ts := strconv.FormatInt(svc.Clock.Now().Unix(), 10)
		req := httptest.NewRequest("POST", "/hooks/deploy", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Relman-Timestamp", ts)
		req.Header.Set("X-Relman-Signature", "sha256="+hex.EncodeToString(connect.SignDeploy(secret, ts, body)))
		check(t, svc, h, req)
	})
}

func FuzzGitHubWebhook(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "github", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		event, _, _ := strings.Cut(filepath.Base(name), ".")
		f.Add(event, b)
	}
	f.Add("milestone", []byte(`{"action":"edited","milestone":{"title":"v","due_on":"x"},"repository":{"full_name":"Codertocat/Hello-World"}}`))
	f.Add("release", []byte(`{"action":"released","release":{"tag_name":"refs/tags/v"},"repository":{"full_name":"Codertocat/Hello-World"}}`))
	svc := linked(f)
	h := &connect.GitHub{Secret: secret, Run: svc, Service: svc}
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		req := httptest.NewRequest("POST", "/hooks/github", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hubHeaders(event, "fuzz", body, secret) {
			req.Header.Set(k, v)
		}
		req.Header.Del("X-GitHub-Delivery") // every input is a new delivery
		check(t, svc, h, req)
	})
}

// check serves req and fails t on a 5xx, an answer that is not JSON, or a
// refused request that changed the store.
func check(t *testing.T, s *commands.Service, h http.Handler, req *http.Request) {
	before := MustSnapshot(t, s)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code >= 500 {
		t.Fatalf("answer %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("answer %d with Content-Type %q: %s", w.Code, ct, w.Body)
	}
	if w.Code >= 400 {
		assertSame(t, before, MustSnapshot(t, s))
	}
}
