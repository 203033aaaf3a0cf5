package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// target is one endpoint under load and what was measured of it.
type target struct {
	name string
	url  string
	// users and channels the requests come from (round robin); synthetic
	// IDs when empty.
	users, channels []string
	// refs are the seeded releases by owner (users' order), for {r}.
	refs [][]string
	// responseURL is the base of the response_url sent; Slack's when empty.
	responseURL string
	// metrics, when set, reports the server's own command time.
	metrics serverMeter
	// sweep: the in-process relman's sweep runs during this target's
	// rounds (it is paused during the others).
	sweep bool

	requests  int
	errors    int
	elapsed   time.Duration
	bytes     int64
	latencies []time.Duration
	failures  map[string]int
	server    serverTime
}

// serverMeter reads a server's cumulative command execution time.
type serverMeter interface {
	commandTime() serverTime
}

// serverTime is a count of executed commands and their total time.
type serverTime struct {
	count uint64
	sum   time.Duration
}

func (a serverTime) sub(b serverTime) serverTime {
	return serverTime{count: a.count - b.count, sum: a.sum - b.sum}
}

func (t *target) serverSnapshot() serverTime {
	if t.metrics == nil {
		return serverTime{}
	}
	return t.metrics.commandTime()
}

// add accumulates one measured round.
func (t *target) add(r *result, server serverTime) {
	t.requests += len(r.latencies) + r.transportErrors
	t.errors += r.errors
	t.elapsed += r.elapsed
	t.bytes += r.bytes
	t.latencies = append(t.latencies, r.latencies...)
	t.server.count += server.count
	t.server.sum += server.sum
	if t.failures == nil {
		t.failures = map[string]int{}
	}
	for k, v := range r.failures {
		t.failures[k] += v
	}
}

// result is what one phase measured.
type result struct {
	latencies       []time.Duration // of every answered request, errors included
	errors          int             // non-200 answers and transport errors
	transportErrors int
	bytes           int64
	elapsed         time.Duration
	failures        map[string]int // "503: body…" or the transport error → count
}

// newClient returns one client shared by all load goroutines, with enough
// idle connections kept per host that no request waits for a new one.
func newClient(conc int) *http.Client {
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          4 * conc,
		MaxIdleConnsPerHost:   2 * conc,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		DisableCompression:    true,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// loadGen sends signed slash commands.
type loadGen struct {
	client  *http.Client
	secret  string
	command string
	text    string
	conc    int
	// distinct makes every request come from a user never seen before, so
	// no reply can come from relman's lookup cache (it is keyed by user).
	distinct bool
	seq      atomic.Uint64
}

// phase runs conc clients against t for d, or until n requests were sent
// when n > 0, and returns what they measured. It stops early when ctx ends.
func (g *loadGen) phase(ctx context.Context, t *target, d time.Duration, n int) *result {
	pctx := ctx
	var cancel context.CancelFunc = func() {}
	if n == 0 {
		pctx, cancel = context.WithTimeout(ctx, d)
	}
	defer cancel()
	var sent atomic.Int64
	results := make([]*result, g.conc)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range g.conc {
		r := &result{failures: map[string]int{}}
		results[c] = r
		wg.Go(func() {
			var buf bytes.Buffer
			for pctx.Err() == nil {
				if n > 0 && sent.Add(1) > int64(n) {
					return
				}
				lat, status, body, err := g.do(pctx, t, c, &buf)
				if err != nil {
					if pctx.Err() != nil {
						return // cut off by the end of the phase: not an error
					}
					r.errors++
					r.transportErrors++
					r.failures[err.Error()]++
					continue
				}
				r.latencies = append(r.latencies, lat)
				r.bytes += int64(len(body))
				if status != http.StatusOK {
					r.errors++
					r.failures[fmt.Sprintf("%d: %s", status, snippet(body, 80))]++
				}
			}
		})
	}
	wg.Wait()
	total := &result{elapsed: time.Since(start), failures: map[string]int{}}
	for _, r := range results {
		total.latencies = append(total.latencies, r.latencies...)
		total.errors += r.errors
		total.transportErrors += r.transportErrors
		total.bytes += r.bytes
		for k, v := range r.failures {
			total.failures[k] += v
		}
	}
	return total
}

// check sends one request and fails unless t answers 200; it shows the
// start of the answer so a reader sees what was measured.
func (g *loadGen) check(ctx context.Context, w io.Writer, t *target) error {
	var buf bytes.Buffer
	_, status, body, err := g.do(ctx, t, 0, &buf)
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("%s answered %d: %s", t.name, status, snippet(body, 300))
	}
	fmt.Fprintf(w, "%s answers 200, %d bytes: %s\n", t.name, len(body), snippet(body, 160))
	return nil
}

// do sends one signed slash command from client c and returns the time
// from sending it to reading the whole answer, the status and the body
// (valid until buf is reused).
func (g *loadGen) do(ctx context.Context, t *target, c int, buf *bytes.Buffer) (time.Duration, int, []byte, error) {
	seq := g.seq.Add(1)
	body := g.form(t, c, seq)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return 0, 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sign(g.secret, ts, body))
	start := time.Now()
	resp, err := g.client.Do(req)
	if err != nil {
		return 0, 0, nil, err
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	lat := time.Since(start)
	if err != nil {
		return 0, 0, nil, err
	}
	return lat, resp.StatusCode, buf.Bytes(), nil
}

// sign is Slack's v0 signature: HMAC-SHA256 keyed with the signing secret
// over "v0:" + timestamp + ":" + the raw body, hex-encoded.
func sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

const (
	loadTeam     = "T0LOADTEAM"
	loadAppID    = "A0LOADAPP"
	slackHookURL = "https://hooks.slack.com/commands/" + loadTeam + "/"
)

// form is a slash command body with every field Slack sends (SLACK.md
// §1.1) and a fresh response_url and trigger_id.
func (g *loadGen) form(t *target, c int, seq uint64) []byte {
	user := fmt.Sprintf("U0LOAD%04d", c)
	owner := -1
	if len(t.users) > 0 {
		owner = (c + int(seq)) % len(t.users)
		user = t.users[owner]
	}
	if g.distinct {
		user = fmt.Sprintf("U0NEW%010d", seq)
	}
	channel := fmt.Sprintf("C0LOAD%04d", c%8)
	if len(t.channels) > 0 {
		channel = t.channels[(c+int(seq/7))%len(t.channels)]
	}
	base := cmp.Or(t.responseURL, slackHookURL)
	nonce := fmt.Sprintf("%016x%016x", seq*0x9e3779b97f4a7c15, uint64(c)*0xbf58476d1ce4e5b9^seq)
	fields := [][2]string{
		{"token", "gIkuvaNzQIHg97ATvDxqgjtO"},
		{"team_id", loadTeam},
		{"team_domain", "loadtest"},
		{"channel_id", channel},
		{"channel_name", "releases"},
		{"user_id", user},
		{"user_name", "load" + strconv.Itoa(c)},
		{"command", g.command},
		{"text", g.textFor(t, owner, seq)},
		{"api_app_id", loadAppID},
		{"is_enterprise_install", "false"},
		{"response_url", base + strconv.FormatUint(seq, 10) + "/" + nonce[:24]},
		{"trigger_id", strconv.FormatUint(seq, 10) + "." + strconv.Itoa(c) + "." + nonce},
	}
	var b strings.Builder
	b.Grow(512)
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(f[0])
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f[1]))
	}
	return []byte(b.String())
}

// textFor is the command text with its placeholders filled in for
// request seq: {n} is seq (a new name for every request: "add load{n}
// 1.0 +30d"), {d} a date 20 to 319 days ahead that changes with every
// request, and {r} a seeded release the sending user owns ("move {r} {d}
// because load").
func (g *loadGen) textFor(t *target, owner int, seq uint64) string {
	if !strings.Contains(g.text, "{") {
		return g.text
	}
	ref := "none@1.0"
	if owner >= 0 && owner < len(t.refs) && len(t.refs[owner]) > 0 {
		rs := t.refs[owner]
		ref = rs[int(seq/uint64(max(1, len(t.users))))%len(rs)]
	}
	day := time.Now().UTC().AddDate(0, 0, 20+int(seq%300)).Format(time.DateOnly)
	return strings.NewReplacer("{n}", strconv.FormatUint(seq, 10), "{d}", day, "{r}", ref).Replace(g.text)
}

func snippet(b []byte, n int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// report prints one line per target, then the comparison with the goals.
func report(w io.Writer, ts []*target, conc int) {
	fmt.Fprintf(w, "\n%-12s %9s %7s %10s %9s %9s %9s %9s %9s %12s\n",
		"target", "requests", "errors", "req/s", "p50", "p90", "p99", "max", "bytes/req", "server/cmd")
	byName := map[string]*target{}
	for _, t := range ts {
		byName[t.name] = t
		slices.Sort(t.latencies)
		server := "-"
		if t.server.count > 0 {
			server = ms(t.server.sum / time.Duration(t.server.count))
		}
		fmt.Fprintf(w, "%-12s %9d %7d %10.0f %9s %9s %9s %9s %9d %12s\n",
			t.name, t.requests, t.errors, t.throughput(),
			ms(pct(t.latencies, 0.50)), ms(pct(t.latencies, 0.90)), ms(pct(t.latencies, 0.99)), ms(pct(t.latencies, 1)),
			t.bytes/int64(max(1, len(t.latencies))), server)
	}
	for _, t := range ts {
		if len(t.failures) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s errors:\n", t.name)
		keys := make([]string, 0, len(t.failures))
		for k := range t.failures {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return t.failures[keys[i]] > t.failures[keys[j]] })
		for i, k := range keys {
			if i == 10 {
				fmt.Fprintf(w, "  … and %d more kinds\n", len(keys)-10)
				break
			}
			fmt.Fprintf(w, "  %7d× %s\n", t.failures[k], k)
		}
	}
	fmt.Fprintln(w)
	rel, bare, swept := byName["relman"], byName["bare"], byName["relman+sweep"]
	note := ""
	if conc != 16 {
		note = fmt.Sprintf(" (the goals are stated for 16 clients; this run used %d)", conc)
	}
	if rel != nil && swept != nil && len(rel.latencies) > 0 && len(swept.latencies) > 0 {
		a, b := pct(rel.latencies, 0.99), pct(swept.latencies, 0.99)
		ratio := float64(b) / float64(max(a, 1))
		fmt.Fprintf(w, "p99 with the sweep / without: %s / %s = %.2f× (goal ≤ %.1f×): %s%s\n", ms(b), ms(a), ratio, goalSweepRatio, verdict(ratio <= goalSweepRatio), note)
	}
	if rel != nil && bare != nil && bare.throughput() > 0 {
		ratio := rel.throughput() / bare.throughput()
		fmt.Fprintf(w, "throughput relman/bare: %.2f× (goal ≥ %.1f×): %s%s\n", ratio, goalRatio, verdict(ratio >= goalRatio), note)
	} else if rel != nil {
		fmt.Fprintln(w, "throughput relman/bare: not measured (no bare target)")
	}
	if pg := byName["relman-pg"]; rel != nil && pg != nil && rel.throughput() > 0 {
		ratio := pg.throughput() / rel.throughput()
		fmt.Fprintf(w, "throughput PostgreSQL/bbolt: %.2f× (goal for lookups ≥ %.1f×): %s; p99 %s / %s\n", ratio, goalPGRatio,
			verdict(ratio >= goalPGRatio), ms(pct(pg.latencies, 0.99)), ms(pct(rel.latencies, 0.99)))
		if pg.errors > 0 {
			fmt.Fprintf(w, "relman-pg answered %d of %d requests with an error: its figures are not valid\n", pg.errors, pg.requests)
		}
		if gr, ok := pg.metrics.(interface{ GenerationReads() (uint64, uint64) }); ok {
			if asks, reads := gr.GenerationReads(); reads > 0 {
				fmt.Fprintf(w, "relman-pg generation reads: %d asks served by %d round trips (%.1f lookups each)\n", asks, reads, float64(asks)/float64(reads))
			}
		}
	}
	if rel != nil && len(rel.latencies) > 0 {
		p99 := pct(rel.latencies, 0.99)
		fmt.Fprintf(w, "relman p99: %s (goal ≤ %s): %s%s\n", ms(p99), ms(goalP99), verdict(p99 <= goalP99), note)
		if rel.errors > 0 {
			fmt.Fprintf(w, "relman answered %d of %d requests with an error: the figures above are not valid\n", rel.errors, rel.requests)
		}
	}
}

func (t *target) throughput() float64 {
	if t.elapsed <= 0 {
		return 0
	}
	return float64(t.requests) / t.elapsed.Seconds()
}

func verdict(ok bool) string {
	if ok {
		return "MET"
	}
	return "NOT MET"
}

// pct is the p-quantile of sorted by nearest rank (p=1 is the maximum).
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}
