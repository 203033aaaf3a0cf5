package connect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"relman/commands"
	"relman/connect"
	"relman/store"
)

// fakeJira is a Jira that answers GET /rest/api/2/project/<KEY>/version
// with pages shaped like Jira Cloud's (testdata/jira/versions.page.json),
// checks the credentials, and fails the way Jira fails when told to.
type fakeJira struct {
	mu       sync.Mutex
	key      string
	versions []map[string]any
	auth     string // the Authorization header expected
	fail     int    // a status to answer instead of a page (0: none)
	retry    string // its Retry-After
	garbage  bool
	requests atomic.Int64
}

func (f *fakeJira) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != f.auth {
		http.Error(w, `{"errorMessages":["unauthorized"]}`, http.StatusUnauthorized)
		return
	}
	if r.URL.Path != "/rest/api/2/project/"+f.key+"/version" {
		http.Error(w, `{"errorMessages":["No project could be found"]}`, http.StatusNotFound)
		return
	}
	if f.fail != 0 {
		if f.retry != "" {
			w.Header().Set("Retry-After", f.retry)
		}
		w.WriteHeader(f.fail)
		return
	}
	if f.garbage {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>maintenance</html>")
		return
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
	max, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
	if max <= 0 || max > 50 {
		max = 50
	}
	end := min(start+max, len(f.versions))
	self := fmt.Sprintf("https://jira.example.com/rest/api/2/project/%s/version?startAt=%d&maxResults=%d", f.key, start, max)
	page := map[string]any{"self": self, "maxResults": max, "startAt": start, "total": len(f.versions), "isLast": end >= len(f.versions), "values": f.versions[start:end]}
	if end < len(f.versions) {
		page["nextPage"] = fmt.Sprintf("https://jira.example.com/rest/api/2/project/%s/version?startAt=%d&maxResults=%d", f.key, end, max)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(page)
}

// version is a Jira version with every field Jira Cloud's example has.
func version(id int, name, releaseDate string, released, archived bool) map[string]any {
	v := map[string]any{
		"self": fmt.Sprintf("https://jira.example.com/rest/api/2/version/%d", id), "id": strconv.Itoa(id),
		"description": "", "name": name, "archived": archived, "released": released, "overdue": false, "projectId": 10000,
	}
	if releaseDate != "" {
		v["releaseDate"] = releaseDate
		v["userReleaseDate"] = releaseDate
	}
	return v
}

func (f *fakeJira) set(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// jiraFixture links payments to Jira project PAY on a fake Jira and returns
// the syncer; errs counts the failures counted.
func jiraFixture(t testing.TB, versions ...map[string]any) (*commands.Service, *fakeJira, *connect.Jira, *atomic.Int64) {
	svc := MustService(t)
	MustDo(t, svc, alice, "/release add payments 1.0 +5d channel <#CPAY|pay>")
	MustDo(t, svc, alice, "/release link payments jira PAY")
	f := &fakeJira{key: "PAY", versions: versions, auth: "Bearer tok"}
	srv := serve(t, f)
	errs := new(atomic.Int64)
	j := &connect.Jira{URL: srv.URL, Token: "tok", Run: svc, Service: svc, Errors: func(c string) {
		if c == "jira" {
			errs.Add(1)
		}
	}}
	return svc, f, j, errs
}

func TestDecodeJiraPageReadsTheDocumentedExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "jira", "versions.page.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := connect.DecodeJiraPage(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.IsLast || p.Total != 7 || len(p.Values) != 2 || p.Values[0].ID != "10000" || p.Values[0].ReleaseDate != "2010-07-06" || !p.Values[0].Released || p.Values[1].ReleaseDate != "" {
		t.Errorf("DecodeJiraPage = %+v", p)
	}
	for _, bad := range []string{`<html>`, `{}`, `{"values":[{"name":"x"}]}`, `{"values":[{"id":"1","releaseDate":"6/Jul/2010"}]}`} {
		if _, err := connect.DecodeJiraPage([]byte(bad)); err == nil {
			t.Errorf("DecodeJiraPage(%s) = nil error; want garbage refused", bad)
		}
	}
}

func TestJiraSyncFollowsJira(t *testing.T) {
	today := store.DateOf(time.Now(), time.UTC)
	d := func(n int) string { return today.AddDays(n).String() }
	svc, f, j, _ := jiraFixture(t,
		version(1, "payments 1.0", d(10), false, false), // relman has it: moved to Jira's date
		version(2, "PAY 1.1", d(20), false, false),      // added
		version(3, "1.2", "", false, false),             // no date: nothing
		version(4, "Sprint 42", d(3), false, false),     // not a version: skipped
		version(5, "1.3", d(30), false, true),           // archived: nothing
		version(6, "1.4", d(-1), true, false),           // released: added and shipped
	)
	ctx := context.Background()
	rep, err := j.SyncProject(ctx, "PAY")
	if err != nil {
		t.Fatal(err)
	}
	if r := MustRelease(t, svc, "payments@1.0"); r.Target != today.AddDays(10) {
		t.Errorf("payments@1.0 targets %s; want %s", r.Target, today.AddDays(10))
	}
	r := MustRelease(t, svc, "payments@1.1")
	if r.Target != today.AddDays(20) || r.Owner != alice || r.Channel != "CPAY" || r.History[0].By != store.ActorJira {
		t.Errorf("payments@1.1 = %s owner %s channel %s by %s; want added by Jira, owner alice (who linked), channel CPAY", r.Target, r.Owner, r.Channel, r.History[0].By)
	}
	if r := MustRelease(t, svc, "payments@1.4"); r.Status != store.Shipped || r.ShippedOn != today.AddDays(-1) {
		t.Errorf("payments@1.4 = %s on %s; want shipped yesterday", r.Status, r.ShippedOn)
	}
	for _, ref := range []string{"payments@1.2", "payments@1.3"} {
		svc.Store.View(ctx, func(tx *store.Tx) error {
			rf, _ := store.ParseRef(ref)
			if _, err := tx.Release(rf); store.ErrorCode(err) != store.ENotFound {
				t.Errorf("%s exists; want undated and archived versions ignored", ref)
			}
			return nil
		})
	}
	if rep.Skipped != 1 || len(rep.Changed) != 4 {
		t.Errorf("report = %+v; want 1 skipped, 4 changes", rep)
	}

	t.Run("AgainChangesNothing", func(t *testing.T) {
		before := MustSnapshot(t, svc)
		rep, err := j.SyncProject(ctx, "PAY")
		if err != nil || len(rep.Changed) != 0 {
			t.Errorf("second sync = %+v, %v; want no change", rep, err)
		}
		after := MustSnapshot(t, svc)
		after.Links, before.Links = nil, nil // the last sync's time moved
		assertSame(t, before, after)
	})
	t.Run("APersonsLaterMoveStandsUntilJiraChanges", func(t *testing.T) {
		MustDo(t, svc, alice, "/release move payments@1.1 +30d because QA needs longer")
		if _, err := j.SyncProject(ctx, "PAY"); err != nil {
			t.Fatal(err)
		}
		if r := MustRelease(t, svc, "payments@1.1"); r.Target != today.AddDays(30) {
			t.Errorf("after a sync, payments@1.1 targets %s; want alice's %s", r.Target, today.AddDays(30))
		}
		f.set(func() { f.versions[1] = version(2, "PAY 1.1", d(25), false, false) })
		if _, err := j.SyncProject(ctx, "PAY"); err != nil {
			t.Fatal(err)
		}
		r := MustRelease(t, svc, "payments@1.1")
		if h := r.History[len(r.History)-1]; r.Target != today.AddDays(25) || h.By != store.ActorJira || h.Reason != "the Jira version's release date changed" {
			t.Errorf("payments@1.1 = %s, last %+v; want moved by Jira because the date changed", r.Target, h)
		}
	})
	t.Run("RenamedVersionRenamesTheRelease", func(t *testing.T) {
		f.set(func() { f.versions[1] = version(2, "PAY 1.1.1", d(25), false, false) })
		if _, err := j.SyncProject(ctx, "PAY"); err != nil {
			t.Fatal(err)
		}
		if r := MustRelease(t, svc, "payments@1.1.1"); r.Target != today.AddDays(25) {
			t.Errorf("payments@1.1.1 targets %s", r.Target)
		}
	})
	t.Run("LinkListSaysWhatTheSyncDid", func(t *testing.T) {
		text := MustDo(t, svc, alice, "/release link list").Doc.Text
		for _, want := range []string{"Jira project PAY", "last synced", "1 Jira name skipped"} {
			if !strings.Contains(text, want) {
				t.Errorf("link list lacks %q:\n%s", want, text)
			}
		}
	})
}

func TestJiraFailuresChangeNothingAndAreToldOnce(t *testing.T) {
	svc, f, j, errs := jiraFixture(t, version(1, "payments 1.0", store.DateOf(time.Now(), time.UTC).AddDays(10).String(), false, false))
	ctx := context.Background()
	dms := func() int {
		n := 0
		for _, m := range MustSnapshot(t, svc).Outbox {
			if m.DM && m.Quiet && m.Channel == alice && strings.Contains(m.Doc.Text, "could not read the versions of Jira project PAY") {
				n++
			}
		}
		return n
	}
	for i, c := range []struct {
		name string
		set  func()
		dms  int
	}{
		{"Unauthorized", func() { f.auth = "Bearer other" }, 1},
		{"ServerErrorNotToldAgain", func() { f.auth, f.fail = "Bearer tok", 503 }, 1},
		{"Garbage", func() { f.fail, f.garbage = 0, true }, 1},
		{"Forbidden", func() { f.garbage, f.fail = false, 403 }, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.set(c.set)
			before := MustSnapshot(t, svc)
			if _, err := j.SyncProject(ctx, "PAY"); err == nil {
				t.Fatal("SyncProject = nil error; want the failure")
			}
			after := MustSnapshot(t, svc)
			before.Links, after.Links, before.Outbox, after.Outbox = nil, nil, nil, nil
			assertSame(t, before, after)
			if got := dms(); got != c.dms {
				t.Errorf("DMs to whoever linked = %d; want %d", got, c.dms)
			}
			if got := errs.Load(); got != int64(i+1) {
				t.Errorf("relman_connector_errors_total{connector=jira} = %d; want %d", got, i+1)
			}
		})
	}
	t.Run("ToldAgainAfterASuccessInBetween", func(t *testing.T) {
		f.set(func() { f.fail = 0 })
		if _, err := j.SyncProject(ctx, "PAY"); err != nil {
			t.Fatal(err)
		}
		f.set(func() { f.fail = 500 })
		j.SyncProject(ctx, "PAY")
		if got := dms(); got != 2 {
			t.Errorf("DMs = %d; want 2", got)
		}
	})
	t.Run("RetryAfterIsHonoured", func(t *testing.T) {
		f.set(func() { f.fail, f.retry = 429, "120" })
		j.SyncProject(ctx, "PAY")
		n := f.requests.Load()
		if _, err := j.SyncProject(ctx, "PAY"); err != nil || f.requests.Load() != n {
			t.Errorf("a sync within Retry-After asked Jira (%d → %d requests), err %v; want it held back", n, f.requests.Load(), err)
		}
		svc.Clock.(*store.FakeClock).Advance(121 * time.Second)
		f.set(func() { f.fail, f.retry = 0, "" })
		if _, err := j.SyncProject(ctx, "PAY"); err != nil || f.requests.Load() == n {
			t.Errorf("after Retry-After: %v, requests %d; want a sync", err, f.requests.Load())
		}
	})
}

func TestJiraPagesThroughFiveThousandVersions(t *testing.T) {
	var vs []map[string]any
	for i := range 5000 {
		name := fmt.Sprintf("Sprint %d", i)
		if i%100 == 0 {
			name = fmt.Sprintf("payments 2.%d", i/100)
		}
		vs = append(vs, version(10000+i, name, "", false, false))
	}
	svc, f, j, _ := jiraFixture(t, vs...)
	rep, err := j.SyncProject(context.Background(), "PAY")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.requests.Load(); got != 100 {
		t.Errorf("requests = %d; want 100 pages of 50", got)
	}
	if rep.Skipped != 4950 {
		t.Errorf("skipped = %d; want 4950", rep.Skipped)
	}
	var seen map[string]store.JiraVersion
	svc.Store.View(context.Background(), func(tx *store.Tx) error {
		seen, _ = tx.JiraVersions("PAY")
		return nil
	})
	if len(seen) != 5000 {
		t.Errorf("versions recorded = %d; want 5000", len(seen))
	}
}

// blockingTransport is a Jira that never answers: a request waits until
// its context ends.
type blockingTransport struct{}

func (blockingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return nil, r.Context().Err()
}

func TestJiraThatDoesNotAnswerWithinTenSecondsChangesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// No fake Jira server: a listener's goroutine would keep the bubble
		// from ever being idle, so its clock would never move.
		svc := MustService(t)
		MustDo(t, svc, alice, "/release add payments 1.0 +5d channel <#CPAY|pay>")
		MustDo(t, svc, alice, "/release link payments jira PAY")
		errs := new(atomic.Int64)
		j := &connect.Jira{URL: "http://jira.invalid", Token: "tok", Run: svc, Service: svc, Client: &http.Client{Transport: blockingTransport{}},
			Errors: func(string) { errs.Add(1) }}
		before := MustSnapshot(t, svc)
		start := time.Now()
		_, err := j.SyncProject(context.Background(), "PAY")
		if err == nil || !strings.Contains(err.Error(), "did not answer within 10s") {
			t.Fatalf("SyncProject = %v; want Jira's silence after 10 s", err)
		}
		if waited := time.Since(start); waited != connect.JiraTimeout {
			t.Errorf("waited %v; want %v", waited, connect.JiraTimeout)
		}
		after := MustSnapshot(t, svc)
		if len(after.Outbox) != len(before.Outbox)+1 || errs.Load() != 1 {
			t.Errorf("outbox %d → %d, errors counted %d; want the one DM and one error", len(before.Outbox), len(after.Outbox), errs.Load())
		}
		after.Links, before.Links, after.Outbox, before.Outbox = nil, nil, nil, nil
		assertSame(t, before, after)
	})
}

func TestJiraCloudBasicAuth(t *testing.T) {
	svc, f, j, _ := jiraFixture(t, version(1, "payments 1.0", store.DateOf(time.Now(), time.UTC).AddDays(9).String(), false, false))
	j.User = "ops@example.com" // Jira Cloud: basic auth with the API token
	f.set(func() { f.auth = "Basic b3BzQGV4YW1wbGUuY29tOnRvaw==" })
	if _, err := j.SyncProject(context.Background(), "PAY"); err != nil {
		t.Fatalf("SyncProject with basic auth: %v", err)
	}
	if r := MustRelease(t, svc, "payments@1.0"); r.Target != store.DateOf(time.Now(), time.UTC).AddDays(9) {
		t.Errorf("payments@1.0 targets %s after the sync", r.Target)
	}
}
