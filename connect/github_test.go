package connect_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relman/commands"
	"relman/connect"
	"relman/store"
)

// fixture reads one of GitHub's documented example payloads (octokit/webhooks
// payload-examples), optionally with some values replaced: the shapes stay
// GitHub's.
func fixture(tb testing.TB, name string, replace ...string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "github", name))
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(replace); i += 2 {
		if !bytes.Contains(b, []byte(replace[i])) {
			tb.Fatalf("%s lacks %q", name, replace[i])
		}
		b = bytes.ReplaceAll(b, []byte(replace[i]), []byte(replace[i+1]))
	}
	return b
}

func hubHeaders(event, delivery string, body []byte, key string) map[string]string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return map[string]string{
		"X-GitHub-Event":      event,
		"X-GitHub-Delivery":   delivery,
		"X-Hub-Signature-256": "sha256=" + hex.EncodeToString(m.Sum(nil)),
	}
}

func githubServer(tb testing.TB, svc *commands.Service, key string) string {
	return serve(tb, &connect.GitHub{Secret: key, Run: svc, Service: svc, Loc: time.UTC}).URL + "/hooks/github"
}

// linked is a service where payments is linked to Codertocat/Hello-World
// (the repository of GitHub's examples), with release manager URM and
// its latest release's news in #pay.
func linked(tb testing.TB) *commands.Service {
	svc := MustService(tb)
	MustDo(tb, svc, alice, "/release add payments 0.0.0 +30d channel <#CPAY|pay>")
	MustDo(tb, svc, alice, "/release link payments github Codertocat/Hello-World")
	MustDo(tb, svc, alice, "/release role payments release-manager <@URM>")
	return svc
}

func TestGitHubReleasedShipsAddingTheReleaseOnce(t *testing.T) {
	svc := linked(t)
	url := githubServer(t, svc, secret)
	body := fixture(t, "release.released.json")
	code, a := post(t, url, "application/json", body, hubHeaders("release", "d-1", body, secret))
	if code != http.StatusOK || a["status"] != "done" {
		t.Fatalf("release released = %d %v; want 200 done", code, a)
	}
	r := MustRelease(t, svc, "payments@0.0.1")
	if r.Status != store.Shipped || r.Owner != "URM" || r.Channel != "CPAY" || r.ShippedOn.String() != "2019-05-15" {
		t.Errorf("payments@0.0.1 = %s owner %s channel %s shipped %s; want shipped 2019-05-15, owner URM (release manager), channel CPAY (latest release's)", r.Status, r.Owner, r.Channel, r.ShippedOn)
	}
	h := r.History[len(r.History)-1]
	if h.By != store.ActorGitHub || h.Reason != "release 0.0.1 published" {
		t.Errorf("history %+v; want shipped by GitHub: release 0.0.1 published", h)
	}
	if line := commandsHistory(t, svc, "payments@0.0.1"); !strings.Contains(line, "shipped by GitHub on Wed 2019-05-15") || !strings.Contains(line, "“release 0.0.1 published”") {
		t.Errorf("history reads:\n%s", line)
	}

	t.Run("RedeliveryChangesNothing", func(t *testing.T) {
		before := MustSnapshot(t, svc)
		code, _ := post(t, url, "application/json", body, hubHeaders("release", "d-1", body, secret))
		if code != http.StatusAccepted {
			t.Errorf("redelivery = %d; want 202", code)
		}
		assertSame(t, before, MustSnapshot(t, svc))
	})
	t.Run("LinkListShowsTheDelivery", func(t *testing.T) {
		text := MustDo(t, svc, alice, "/release link list").Doc.Text
		if !strings.Contains(text, "last delivery") || !strings.Contains(text, "payments@0.0.1 is shipped") {
			t.Errorf("link list:\n%s", text)
		}
	})
}

// commandsHistory is /release history of ref as alice reads it.
func commandsHistory(tb testing.TB, svc *commands.Service, ref string) string {
	return MustDo(tb, svc, alice, "/release history "+ref).Doc.Text
}

func TestGitHubEventsThatChangeNothing(t *testing.T) {
	svc := linked(t)
	url := githubServer(t, svc, secret)
	for _, c := range []struct {
		name, event string
		body        []byte
		code        int
		reason      string
	}{
		{"Ping", "ping", fixture(t, "ping.json"), 200, ""},
		{"Prerelease", "release", fixture(t, "release.prereleased.json"), 202, "only a release published as a full release"},
		{"DeploymentOfABranch", "deployment_status", fixture(t, "deployment_status.json"), 202, "a branch or commit, not a tag"},
		{"DeploymentToAnUnknownEnvironment", "deployment_status", fixture(t, "deployment_status.json", `"ref": "master"`, `"ref": "refs/tags/v0.0.0"`, `"production"`, `"qa"`), 202, `unknown stage "qa": payments@0.0.0 has no stage "qa": its pipeline is test → production`},
		{"ClosedMilestone", "milestone", fixture(t, "milestone.closed.json"), 202, "only created and edited milestones"},
		{"MilestoneWithoutDueDate", "milestone", fixture(t, "milestone.created.json", `"due_on": "2019-05-23T07:00:00Z"`, `"due_on": null`), 202, "has no due date"},
		{"UnlinkedRepository", "release", fixture(t, "release.released.json", "Codertocat/Hello-World", "someone/else"), 202, "repository someone/else is not linked"},
		{"UnusedEvent", "push", []byte(`{}`), 202, `relman does not use "push" events`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := MustSnapshot(t, svc)
			code, a := post(t, url, "application/json", c.body, hubHeaders(c.event, "d-"+c.name, c.body, secret))
			if code != c.code || !strings.Contains(a["reason"], c.reason) {
				t.Errorf("%s = %d %v; want %d with reason containing %q", c.event, code, a, c.code, c.reason)
			}
			assertSame(t, before, MustSnapshot(t, svc))
		})
	}
}

func TestGitHubDeploymentOfATagShips(t *testing.T) {
	svc := linked(t)
	url := githubServer(t, svc, secret)
	body := fixture(t, "deployment_status.json", `"ref": "master"`, `"ref": "refs/tags/v0.0.0"`, `"environment": "production"`, `"environment": "Prod"`)
	code, a := post(t, url, "application/json", body, hubHeaders("deployment_status", "d-2", body, secret))
	if code != http.StatusOK {
		t.Fatalf("deployment_status = %d %v; want 200", code, a)
	}
	if r := MustRelease(t, svc, "payments@0.0.0"); r.Status != store.Shipped || r.History[len(r.History)-1].By != store.ActorGitHub {
		t.Errorf("payments@0.0.0 is %s; want shipped by GitHub", r.Status)
	}
	t.Run("ToTestPromotes", func(t *testing.T) {
		MustDo(t, svc, alice, "/release add payments 0.1.0 +20d")
		body := fixture(t, "deployment_status.json", `"ref": "master"`, `"ref": "v0.1.0"`, `"environment": "production"`, `"environment": "Test"`)
		code, a := post(t, url, "application/json", body, hubHeaders("deployment_status", "d-4", body, secret))
		r := MustRelease(t, svc, "payments@0.1.0")
		if h := r.History[len(r.History)-1]; code != http.StatusOK || h.Kind != store.HistoryPromoted || h.Stage != "test" || h.By != store.ActorGitHub {
			t.Errorf("deployment to Test = %d %v, last history %+v; want promoted to test by GitHub", code, a, h)
		}
	})
	t.Run("UnknownReleaseIsNotFound", func(t *testing.T) {
		body := fixture(t, "deployment_status.json", `"ref": "master"`, `"ref": "v9.9.9"`)
		before := MustSnapshot(t, svc)
		if code, _ := post(t, url, "application/json", body, hubHeaders("deployment_status", "d-3", body, secret)); code != http.StatusNotFound {
			t.Errorf("deployment of an unknown release = %d; want 404", code)
		}
		assertSame(t, before, MustSnapshot(t, svc))
	})
}

func TestGitHubMilestoneAddsMovesAndObeysFreezes(t *testing.T) {
	svc := linked(t)
	url := githubServer(t, svc, secret)
	today := store.DateOf(svc.Clock.Now(), time.UTC)
	due := func(d store.Date) string { return `"due_on": "` + d.String() + `T07:00:00Z"` }
	created := fixture(t, "milestone.created.json", `"due_on": "2019-05-23T07:00:00Z"`, due(today.AddDays(20)))
	code, a := post(t, url, "application/json", created, hubHeaders("milestone", "m-1", created, secret))
	if code != http.StatusOK {
		t.Fatalf("milestone created = %d %v; want 200", code, a)
	}
	if r := MustRelease(t, svc, "payments@1.0"); r.Target != today.AddDays(20) || r.Owner != "URM" {
		t.Errorf("payments@1.0 targets %s owner %s; want %s, URM", r.Target, r.Owner, today.AddDays(20))
	}
	edited := fixture(t, "milestone.created.json", `"action": "created"`, `"action": "edited"`, `"due_on": "2019-05-23T07:00:00Z"`, due(today.AddDays(25)))
	code, _ = post(t, url, "application/json", edited, hubHeaders("milestone", "m-2", edited, secret))
	r := MustRelease(t, svc, "payments@1.0")
	if h := r.History[len(r.History)-1]; code != http.StatusOK || r.Target != today.AddDays(25) || h.By != store.ActorGitHub || h.Reason != "GitHub milestone due date changed" {
		t.Errorf("milestone edited = %d; target %s, last history %+v; want moved by GitHub with the reason", code, r.Target, h)
	}

	t.Run("RefusedInsideAFreezeAndPosted", func(t *testing.T) {
		MustDo(t, svc, alice, "/release freeze payments +40d +50d because the year-end freeze")
		frozen := fixture(t, "milestone.created.json", `"action": "created"`, `"action": "edited"`, `"due_on": "2019-05-23T07:00:00Z"`, due(today.AddDays(45)))
		n := len(MustSnapshot(t, svc).Outbox)
		code, a := post(t, url, "application/json", frozen, hubHeaders("milestone", "m-3", frozen, secret))
		if code != http.StatusAccepted || !strings.Contains(a["reason"], "refused: payments is frozen") {
			t.Errorf("milestone into a freeze = %d %v; want 202 refused", code, a)
		}
		if r := MustRelease(t, svc, "payments@1.0"); r.Target != today.AddDays(25) {
			t.Errorf("target %s; want unchanged %s", r.Target, today.AddDays(25))
		}
		msgs := outboxTexts(t, svc)
		if len(msgs) != n+1 || !strings.HasPrefix(msgs[n], "CPAY: :no_entry: GitHub could not move payments@1.0") {
			t.Errorf("outbox after the refusal: %q", msgs[n:])
		}
	})
}

func TestGitHubRefuses(t *testing.T) {
	svc := linked(t)
	url := githubServer(t, svc, secret)
	body := fixture(t, "release.released.json")
	for _, c := range []struct {
		name, contentType string
		body              []byte
		headers           map[string]string
		code              int
	}{
		{"BadSignature", "application/json", body, hubHeaders("release", "x-1", body, "other"), 401},
		{"SHA1Signature", "application/json", body, map[string]string{"X-GitHub-Event": "release", "X-Hub-Signature-256": "sha1=00"}, 401},
		{"FormEncoded", "application/x-www-form-urlencoded", body, hubHeaders("release", "x-2", body, secret), 415},
		{"BrokenJSON", "application/json", body[:100], hubHeaders("release", "x-3", body[:100], secret), 400},
		{"NoRepository", "application/json", []byte(`{"action":"released"}`), hubHeaders("release", "x-4", []byte(`{"action":"released"}`), secret), 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := MustSnapshot(t, svc)
			if code, a := post(t, url, c.contentType, c.body, c.headers); code != c.code || a["error"] == "" {
				t.Errorf("POST = %d %v; want %d with a JSON error", code, a, c.code)
			}
			assertSame(t, before, MustSnapshot(t, svc))
		})
	}
	if code, _ := post(t, githubServer(t, svc, ""), "application/json", body, hubHeaders("release", "x-5", body, "")); code != http.StatusNotFound {
		t.Errorf("POST without RELMAN_GITHUB_SECRET = %d; want 404", code)
	}
}
