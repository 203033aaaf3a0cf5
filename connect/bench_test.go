package connect_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"relman/connect"
	"relman/store"
)

// BenchmarkDeployWebhook200rps sends signed deploy webhooks over HTTP to a
// relman on a bbolt file (fsync on) at 200 requests per second, each the
// first production deployment of its own release (a ship: the release,
// its history, its news and the delivery record in one transaction), and
// reports the 50th and 99th percentile of the time to answer; the
// sub-benchmarks send 50 and 20 a second, to show the latency below the
// disk's limit. Run it on one core:
//
//	go test ./connect -run '^$' -bench DeployWebhook -cpu 1 -benchtime 1000x
func BenchmarkDeployWebhook200rps(b *testing.B) { benchDeploy(b, 200) }

func BenchmarkDeployWebhook50rps(b *testing.B) { benchDeploy(b, 50) }

func BenchmarkDeployWebhook20rps(b *testing.B) { benchDeploy(b, 20) }

func benchDeploy(b *testing.B, rate int) {
	svc := MustService(b)
	today := store.DateOf(svc.Clock.Now(), time.UTC)
	now := svc.Clock.Now()
	err := svc.Store.Update(context.Background(), alice, now, func(tx *store.Tx) error {
		for i := range b.N {
			r := &store.Release{Ref: store.Ref{Product: "payments", Version: fmt.Sprintf("4.%d", i)}, Target: today.AddDays(7), Owner: alice, Channel: "CPAY", Status: store.Planned, CreatedAt: now, CreatedBy: alice}
			if err := tx.PutRelease("release.add", r); err != nil {
				return err
			}
		}
		return tx.PutProduct("product.create", &store.Product{Name: "payments", CreatedAt: now, CreatedBy: alice})
	})
	if err != nil {
		b.Fatal(err)
	}
	url := deployServer(b, svc, secret) + "/hooks/deploy"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	lat := make([]time.Duration, b.N)
	errs := make(chan error, b.N)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	b.ResetTimer()
	done := make(chan struct{}, b.N)
	for i := range b.N {
		<-tick.C
		body := []byte(fmt.Sprintf(`{"release":"payments@4.%d","stage":"production","status":"success","url":"https://ci.example.com/run/%d"}`, i, i))
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		go func() {
			defer func() { done <- struct{}{} }()
			req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Relman-Timestamp", ts)
			req.Header.Set("X-Relman-Signature", "sha256="+fmt.Sprintf("%x", connect.SignDeploy(secret, ts, body)))
			start := time.Now()
			resp, err := client.Do(req)
			lat[i] = time.Since(start)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("answer %d", resp.StatusCode)
			}
		}()
	}
	for range b.N {
		<-done
	}
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*50/100].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}

// BenchmarkJiraSync5000With50Changes syncs a Jira project of 5,000
// versions (100 pages from the fake Jira over HTTP) whose 5,000 releases
// relman has, after 50 of them changed their release date: 50 moves, each
// with its news once. It reports the time of one sync.
//
//	go test ./connect -run '^$' -bench JiraSync5000 -benchtime 3x
func BenchmarkJiraSync5000With50Changes(b *testing.B) {
	for range b.N {
		b.StopTimer()
		svc, f, j, _ := jiraFixture(b)
		today := store.DateOf(svc.Clock.Now(), time.UTC)
		now := svc.Clock.Now()
		var vs []map[string]any
		err := svc.Store.Update(context.Background(), alice, now, func(tx *store.Tx) error {
			for i := range 5000 {
				ref := store.Ref{Product: "payments", Version: fmt.Sprintf("3.%d", i)}
				d := today.AddDays(10 + i%200)
				if err := tx.PutRelease("release.add", &store.Release{Ref: ref, Target: d, Owner: alice, Channel: "CPAY", Status: store.Planned, CreatedAt: now, CreatedBy: alice}); err != nil {
					return err
				}
				id := 20000 + i
				if err := tx.PutJiraVersion(&store.JiraVersion{Project: "PAY", ID: strconv.Itoa(id), Name: "payments " + ref.Version, Date: d, Ref: ref.String()}); err != nil {
					return err
				}
				if i%100 == 7 {
					d = d.AddDays(3) // one of the 50 changes
				}
				vs = append(vs, version(id, "payments "+ref.Version, d.String(), false, false))
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		f.set(func() { f.versions = vs })
		queued := len(MustSnapshot(b, svc).Outbox)
		b.StartTimer()
		start := time.Now()
		rep, err := j.SyncProject(context.Background(), "PAY")
		took := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Changed) != 50 {
			b.Fatalf("changed %d; want 50", len(rep.Changed))
		}
		news := 0
		for _, m := range MustSnapshot(b, svc).Outbox[queued:] {
			if m.Channel == "CPAY" && strings.Contains(m.Doc.Text, "Jira moved") {
				news++
			}
		}
		if news != 50 {
			b.Fatalf("news %d; want 50, one per change", news)
		}
		if rep, _ := j.SyncProject(context.Background(), "PAY"); len(rep.Changed) != 0 {
			b.Fatalf("a second sync changed %d; want none", len(rep.Changed))
		}
		b.ReportMetric(took.Seconds(), "s/sync")
		b.StartTimer()
	}
}
