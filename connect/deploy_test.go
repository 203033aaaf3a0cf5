package connect_test

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/connect"
	"relman/store"
)

// signed returns the deploy headers for body, signed at ts.
func signed(body []byte, ts time.Time, key string) map[string]string {
	t := strconv.FormatInt(ts.Unix(), 10)
	return map[string]string{
		"X-Relman-Timestamp": t,
		"X-Relman-Signature": "sha256=" + hex.EncodeToString(connect.SignDeploy(key, t, body)),
	}
}

func deployServer(tb testing.TB, svc *commands.Service, key string) string {
	d := &connect.Deploy{Secret: key, Run: svc, Service: svc, Clock: svc.Clock, Loc: time.UTC}
	return serve(tb, d).URL
}

func TestDeployShipsToProductionOnceAndNamesTheFreeze(t *testing.T) {
	svc := MustService(t)
	MustDo(t, svc, alice, "/release add payments 4.2.0 +7d channel <#CPAY|pay>")
	MustDo(t, svc, alice, "/release freeze payments today +3d because holiday trading")
	url := deployServer(t, svc, secret)
	body := []byte(`{"release":"payments@4.2.0","stage":"prod","status":"success","url":"https://ci.example.com/run/81"}`)

	code, a := post(t, url, "application/json", body, signed(body, svc.Clock.Now(), secret))
	if code != http.StatusOK || a["status"] != "done" || !strings.Contains(a["changed"], "payments@4.2.0 is shipped") {
		t.Fatalf("deploy = %d %v; want 200 done, shipped", code, a)
	}
	r := MustRelease(t, svc, "payments@4.2.0")
	h := r.History[len(r.History)-1]
	if r.Status != store.Shipped || h.By != store.ActorCI || h.Reason != "deployed to production (https://ci.example.com/run/81)" {
		t.Errorf("release = %s, last history %+v; want shipped by CI with the run", r.Status, h)
	}
	news := strings.Join(outboxTexts(t, svc), "\n")
	for _, want := range []string{"CPAY: :rocket: CI shipped *payments@4.2.0*", "Inside freeze FZ-1 (holiday trading"} {
		if !strings.Contains(news, want) {
			t.Errorf("news lacks %q:\n%s", want, news)
		}
	}

	t.Run("RepeatChangesNothing", func(t *testing.T) {
		before := MustSnapshot(t, svc)
		code, a := post(t, url, "application/json", body, signed(body, svc.Clock.Now(), secret))
		if code != http.StatusAccepted || a["status"] != "accepted" {
			t.Errorf("repeat = %d %v; want 202 accepted", code, a)
		}
		assertSame(t, before, MustSnapshot(t, svc))
	})
}

func TestDeployToTestPromotesOnce(t *testing.T) {
	svc := MustService(t)
	MustDo(t, svc, alice, "/release add payments 4.2.0 +7d channel <#CPAY|pay>")
	url := deployServer(t, svc, secret)
	body := []byte(`{"release":"payments@4.2.0","stage":"TEST","status":"success","url":"https://ci.example.com/run/7"}`)
	code, a := post(t, url, "application/json", body, signed(body, svc.Clock.Now(), secret))
	r := MustRelease(t, svc, "payments@4.2.0")
	h := r.History[len(r.History)-1]
	if code != http.StatusOK || h.Kind != store.HistoryPromoted || h.Stage != "test" || h.By != store.ActorCI || h.Reason != "deployed to test (https://ci.example.com/run/7)" {
		t.Fatalf("deploy to test = %d %v, last history %+v; want promoted to test by CI", code, a, h)
	}
	if news := strings.Join(outboxTexts(t, svc), "\n"); !strings.Contains(news, "CPAY: :rocket: CI promoted *payments@4.2.0* to test") {
		t.Errorf("news:\n%s", news)
	}
	// The same deployment again, and another run to the same stage: nothing.
	for _, b := range [][]byte{body, []byte(`{"release":"payments@4.2.0","stage":"test","status":"success","url":"https://ci.example.com/run/8"}`)} {
		before := MustSnapshot(t, svc)
		if code, a := post(t, url, "application/json", b, signed(b, svc.Clock.Now(), secret)); code != http.StatusAccepted {
			t.Errorf("repeat = %d %v; want 202", code, a)
		}
		assertSame(t, before, MustSnapshot(t, svc))
	}
}

func TestDeployWithOpenItemsIsRecordedAndNamesThem(t *testing.T) {
	svc := MustService(t)
	MustDo(t, svc, alice, "/release add payments 4.2.0 +7d channel <#CPAY|pay>")
	MustDo(t, svc, alice, `/release check payments@4.2.0 add "security review" before production`)
	MustDo(t, svc, alice, `/release check payments@4.2.0 add "release notes" before test`)
	url := deployServer(t, svc, secret)
	body := []byte(`{"release":"payments@4.2.0","stage":"production","status":"success"}`)
	if code, a := post(t, url, "application/json", body, signed(body, svc.Clock.Now(), secret)); code != http.StatusOK {
		t.Fatalf("deploy = %d %v; want 200: a deployment happened, open items or not", code, a)
	}
	r := MustRelease(t, svc, "payments@4.2.0")
	if h := r.History[len(r.History)-1]; r.Status != store.Shipped || len(h.Open) != 2 {
		t.Errorf("release %s, last history %+v; want shipped with the 2 open items recorded", r.Status, h)
	}
	if news := strings.Join(outboxTexts(t, svc), "\n"); !strings.Contains(news, "Deployed with 2 open items: ") || !strings.Contains(news, "security review") {
		t.Errorf("news lacks the open items:\n%s", news)
	}
}

func TestDeployFailurePostsOnce(t *testing.T) {
	svc := MustService(t)
	MustDo(t, svc, alice, "/release add payments 4.2.0 +7d channel <#CPAY|pay>")
	url := deployServer(t, svc, secret)
	body := []byte(`{"release":"payments@4.2.0","stage":"production","status":"failure","url":"https://ci.example.com/run/82"}`)
	before := len(MustSnapshot(t, svc).Outbox)
	code, a := post(t, url, "application/json", body, signed(body, svc.Clock.Now(), secret))
	if code != http.StatusOK {
		t.Fatalf("failure = %d %v; want 200", code, a)
	}
	msgs := outboxTexts(t, svc)
	if len(msgs) != before+1 || !strings.Contains(msgs[len(msgs)-1], "CPAY: :x: CI: deploying *payments@4.2.0* to production failed. <https://ci.example.com/run/82|See the run>") {
		t.Errorf("outbox = %q; want the failure with its link", msgs)
	}
	if r := MustRelease(t, svc, "payments@4.2.0"); r.Status != store.Planned {
		t.Errorf("status = %s; want planned", r.Status)
	}
	snap := MustSnapshot(t, svc)
	code, _ = post(t, url, "application/json", body, signed(body, svc.Clock.Now(), secret))
	if code != http.StatusAccepted {
		t.Errorf("repeat = %d; want 202", code)
	}
	assertSame(t, snap, MustSnapshot(t, svc))
}

func TestDeployRefuses(t *testing.T) {
	svc := MustService(t)
	MustDo(t, svc, alice, "/release add payments 4.2.0 +7d channel <#CPAY|pay>")
	url := deployServer(t, svc, secret)
	good := []byte(`{"release":"payments@4.2.0","stage":"production","status":"success"}`)
	now := svc.Clock.Now()
	big := []byte(`{"release":"payments@4.2.0","stage":"production","status":"success","pad":"` + strings.Repeat("x", connect.MaxBody) + `"}`)
	for _, c := range []struct {
		name        string
		contentType string
		body        []byte
		headers     map[string]string
		code        int
		err         string
	}{
		{"BadSignature", "application/json", good, signed(good, now, "other"), 401, "X-Relman-Signature does not match"},
		{"MissingSignature", "application/json", good, nil, 401, "X-Relman-Timestamp"},
		{"StaleTimestamp", "application/json", good, signed(good, now.Add(-6*time.Minute), secret), 401, "more than 5 minutes"},
		{"FutureTimestamp", "application/json", good, signed(good, now.Add(6*time.Minute), secret), 401, "more than 5 minutes"},
		{"TooLarge", "application/json", big, signed(big, now, secret), 413, "over 1 MiB"},
		{"NotJSON", "application/x-www-form-urlencoded", good, signed(good, now, secret), 415, "send JSON"},
		{"BadJSON", "application/json", []byte(`{"release":`), signed([]byte(`{"release":`), now, secret), 400, "not a JSON object"},
		{"MissingStage", "application/json", []byte(`{"release":"payments@4.2.0","status":"success"}`), nil, 400, `missing "stage"`},
		{"OtherStatus", "application/json", []byte(`{"release":"payments@4.2.0","stage":"production","status":"pending"}`), nil, 400, `"status" must be`},
		{"BadURL", "application/json", []byte(`{"release":"payments@4.2.0","stage":"production","status":"failure","url":"javascript:alert(1)"}`), nil, 400, `"url" must be`},
		{"UnknownRelease", "application/json", []byte(`{"release":"payments@9.9","stage":"production","status":"success"}`), nil, 404, "there is no release payments@9.9"},
		{"UnknownStage", "application/json", []byte(`{"release":"payments@4.2.0","stage":"qa","status":"success"}`), nil, 404, `unknown stage "qa"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := c.headers
			if h == nil && c.code != 401 {
				h = signed(c.body, now, secret)
			}
			before := MustSnapshot(t, svc)
			code, a := post(t, url, c.contentType, c.body, h)
			if code != c.code || !strings.Contains(a["error"], c.err) {
				t.Errorf("POST = %d %v; want %d with error containing %q", code, a, c.code, c.err)
			}
			assertSame(t, before, MustSnapshot(t, svc))
		})
	}
	t.Run("NoSecretIsNotFound", func(t *testing.T) {
		code, _ := post(t, deployServer(t, svc, ""), "application/json", good, signed(good, now, ""))
		if code != http.StatusNotFound {
			t.Errorf("POST without RELMAN_WEBHOOK_SECRET = %d; want 404", code)
		}
	})
}

// The signature agrees with openssl: printf %s "1796000000.$body" | openssl dgst -sha256 -hmac s3cret
func ExampleSignDeploy() {
	body := []byte(`{"release":"payments@4.2.0","stage":"production","status":"success"}`)
	fmt.Println("sha256=" + hex.EncodeToString(connect.SignDeploy("s3cret", "1796000000", body)))
	// Output: sha256=fa296b5e2725f92a76aea03cf6558c8c0ad70beeff2bf518f68b4fc124d865d4
}
