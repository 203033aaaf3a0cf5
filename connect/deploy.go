package connect

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"relman/commands"
	"relman/store"
)

// DeploySkew is how far X-Relman-Timestamp may be from now: a captured
// delivery can't be replayed later than that.
const DeploySkew = 5 * time.Minute

// Deploy serves POST /hooks/deploy: CI says a release was deployed to a
// stage, or that deploying it failed (SPEC §8).
type Deploy struct {
	// Secret is RELMAN_WEBHOOK_SECRET; without it every request is
	// answered 404, as an unknown path.
	Secret  string
	Run     Runner
	Service *commands.Service // posts failures
	Clock   store.Clock
	Loc     *time.Location // the workspace time zone: "at"'s date
	// Wake, if set, is called when a failure was queued for the outbox.
	Wake func()
}

// DeployEvent is the body of a deploy webhook.
type DeployEvent struct {
	Release string `json:"release"`
	Stage   string `json:"stage"`
	Status  string `json:"status"`
	URL     string `json:"url,omitempty"`
	At      string `json:"at,omitempty"`
}

// Deployment is a DeployEvent checked: its release, its stage (lower
// case; prod is production), its date.
type Deployment struct {
	ev    DeployEvent
	ref   store.Ref
	stage string
	at    time.Time
}

// DecodeDeploy reads and checks a deploy webhook's body: valid JSON, with
// a release (product@version), a stage, a status success or failure, an
// http(s) url if any, an RFC 3339 at if any (else now). Its error says
// what was wrong, for a 400.
func DecodeDeploy(body []byte, now time.Time) (Deployment, error) {
	var d Deployment
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&d.ev); err != nil {
		return d, fmt.Errorf("the body is not a JSON object like {\"release\":\"payments@4.2.0\",\"stage\":\"test\",\"status\":\"success\"}: %v", err)
	}
	if dec.More() {
		return d, fmt.Errorf("the body holds more than one JSON value")
	}
	ev := d.ev
	switch {
	case ev.Release == "":
		return d, fmt.Errorf("missing \"release\" (like payments@4.2.0)")
	case ev.Stage == "":
		return d, fmt.Errorf("missing \"stage\" (like test or production)")
	case ev.Status != "success" && ev.Status != "failure":
		return d, fmt.Errorf("\"status\" must be \"success\" or \"failure\", not %q", clip(ev.Status))
	}
	ref, err := store.ParseRef(ev.Release)
	if err != nil {
		return d, fmt.Errorf("\"release\": %s", store.ErrorMessage(err))
	}
	d.ref = ref
	d.stage = stageName(ev.Stage)
	if ev.URL != "" {
		u, err := url.Parse(ev.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(ev.URL) > 2000 {
			return d, fmt.Errorf("\"url\" must be an http(s) URL")
		}
	}
	d.at = now
	if ev.At != "" {
		if d.at, err = time.Parse(time.RFC3339, ev.At); err != nil {
			return d, fmt.Errorf("\"at\" must be an RFC 3339 instant like 2026-12-20T10:00:00Z, not %q", clip(ev.At))
		}
	}
	return d, nil
}

// stageName is a stage as typed by CI or named by a GitHub environment:
// lower case, prod meaning production.
func stageName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "prod" {
		return "production"
	}
	return s
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// ServeHTTP answers as SPEC §8 says: 200 done (JSON with what changed),
// 202 nothing to do, 401 a bad, missing or stale signature, 400 bad JSON,
// missing fields or another status, 404 an unknown release or stage, 413
// over 1 MiB, 415 not JSON.
func (d *Deploy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.serve(w, r)
}

func (d *Deploy) serve(w http.ResponseWriter, r *http.Request) int {
	if d.Secret == "" {
		http.NotFound(w, r)
		return http.StatusNotFound
	}
	body, code := readBody(w, r)
	if code != 0 {
		return code
	}
	now := d.Clock.Now()
	if err := VerifyDeploy(d.Secret, r.Header.Get("X-Relman-Timestamp"), r.Header.Get("X-Relman-Signature"), body, now); err != nil {
		return failure(w, http.StatusUnauthorized, err.Error())
	}
	dep, err := DecodeDeploy(body, now)
	if err != nil {
		return failure(w, http.StatusBadRequest, err.Error())
	}
	return d.apply(r.Context(), w, dep)
}

func (d *Deploy) apply(ctx context.Context, w http.ResponseWriter, dep Deployment) int {
	req := commands.Request{
		User: store.ActorCI, Via: store.ViaDeploy,
		Delivery: strings.Join([]string{"deploy", dep.ref.String(), dep.stage, dep.ev.Status, dep.ev.URL}, "\x00"),
	}
	if dep.ev.Status == "failure" {
		ok, err := d.Service.DeployFailed(ctx, req, dep.ref, dep.stage, dep.ev.URL)
		switch {
		case store.ErrorCode(err) == store.ENotFound:
			return failure(w, http.StatusNotFound, store.ErrorMessage(err))
		case err != nil:
			return failure(w, http.StatusServiceUnavailable, "the failure could not be recorded; try again")
		case !ok:
			return reply(w, http.StatusAccepted, answer{Status: "accepted", Reason: "this delivery was applied already"})
		}
		if d.Wake != nil {
			d.Wake()
		}
		return reply(w, http.StatusOK, answer{Status: "done", Changed: fmt.Sprintf("failure of %s in %s posted to its channel", dep.ref, dep.stage)})
	}
	req.Note = "deployed to " + dep.stage
	if dep.ev.URL != "" {
		req.Note += " (" + dep.ev.URL + ")"
	}
	on := store.DateOf(dep.at, d.loc())
	return answerReply(w, d.Run.Run(ctx, req, commands.Promote(dep.ref, dep.stage, on, false)))
}

func (d *Deploy) loc() *time.Location {
	if d.Loc == nil {
		return time.UTC
	}
	return d.Loc
}

// VerifyDeploy checks a deploy webhook's signature: X-Relman-Signature is
// "sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>" with secret,
// compared in constant time, and X-Relman-Timestamp (Unix seconds) is
// within DeploySkew of now. Its error says which check failed.
func VerifyDeploy(secret, timestamp, signature string, body []byte, now time.Time) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("missing or bad X-Relman-Timestamp (Unix seconds)")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > DeploySkew || d < -DeploySkew {
		return fmt.Errorf("X-Relman-Timestamp is more than 5 minutes from now")
	}
	hexSig, ok := strings.CutPrefix(signature, "sha256=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil {
		return fmt.Errorf("missing or bad X-Relman-Signature (sha256=<hex>)")
	}
	if !hmac.Equal(got, SignDeploy(secret, timestamp, body)) {
		return fmt.Errorf("X-Relman-Signature does not match")
	}
	return nil
}

// SignDeploy is the HMAC-SHA256 of "<timestamp>.<body>" with secret: what
// a CI step sends hex-encoded after "sha256=".
func SignDeploy(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}
