package connect

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-github/v75/github"

	"relman/commands"
	"relman/store"
)

// GitHub serves POST /hooks/github: a linked repository's published
// releases ship, its successful deployments of a tag reach their stage,
// and its milestones' due dates add or move releases (SPEC §8). Payloads
// are go-github's event types, its ValidateSignature checks
// X-Hub-Signature-256 in constant time.
type GitHub struct {
	// Secret is RELMAN_GITHUB_SECRET; without it every request is
	// answered 404, as an unknown path.
	Secret  string
	Run     Runner
	Service *commands.Service // links; posts refusals
	Loc     *time.Location    // the workspace time zone: a release's ship date
	// Wake, if set, is called when a refusal was queued for the outbox.
	Wake func()
}

// GitHubAction is what a GitHub event asks of relman: run Cmd on Ref for
// the product linked to Repo, or nothing (Cmd nil) for Reason.
type GitHubAction struct {
	Repo    string
	Product string // set once the link is known (Plan)
	Ref     store.Ref
	Cmd     commands.Command
	Note    string // "release v4.2.0 published"
	What    string // how a refusal names the change: "move payments@4.2 to …"
	Reason  string // why nothing is done
	Pong    bool
}

// DecodeGitHub reads a GitHub webhook's payload of event type event into
// the event's go-github type and returns the repository it is about, or
// an error for a payload that is not valid JSON of that event (400). An
// event relman does not use decodes to nil with no error.
func DecodeGitHub(event string, body []byte) (any, string, error) {
	switch event {
	case "ping", "release", "deployment_status", "milestone":
	default:
		return nil, "", nil
	}
	ev, err := github.ParseWebHook(event, body)
	if err != nil {
		return nil, "", fmt.Errorf("the %s payload is not valid JSON of that event: %v", event, err)
	}
	var repo *github.Repository
	switch e := ev.(type) {
	case *github.PingEvent:
		return e, "", nil
	case *github.ReleaseEvent:
		repo = e.Repo
	case *github.DeploymentStatusEvent:
		repo = e.Repo
	case *github.MilestoneEvent:
		repo = e.Repo
	}
	if repo.GetFullName() == "" {
		return nil, "", fmt.Errorf("the %s payload names no repository (repository.full_name)", event)
	}
	return ev, repo.GetFullName(), nil
}

// versionOf is a tag or title as a version: refs/tags/ and a leading v
// dropped.
func versionOf(s string) string {
	s = strings.TrimPrefix(s, "refs/tags/")
	if len(s) > 1 && (s[0] == 'v' || s[0] == 'V') && s[1] >= '0' && s[1] <= '9' {
		s = s[1:]
	}
	return s
}

var commitRE = regexp.MustCompile(`^[0-9a-f]{7,40}$`)

// tagRef reports whether a deployment's ref names a tag: refs/tags/…, or
// a bare name that reads as a version (v4.2.0, 4.2.0); a branch
// (refs/heads/…, main) or a commit SHA does not.
func tagRef(ref string) bool {
	switch {
	case strings.HasPrefix(ref, "refs/tags/"):
		return true
	case strings.HasPrefix(ref, "refs/"), commitRE.MatchString(ref):
		return false
	}
	v := versionOf(ref)
	return v != "" && v[0] >= '0' && v[0] <= '9'
}

// plan decides what ev asks for product: the command, or why nothing.
func (g *GitHub) plan(ev any, product string, now time.Time) GitHubAction {
	a := GitHubAction{Product: product}
	ref := func(version string) bool {
		r, err := store.NewRef(product, version)
		if err != nil {
			a.Reason = store.ErrorMessage(err)
			return false
		}
		a.Ref = r
		return true
	}
	switch e := ev.(type) {
	case *github.ReleaseEvent:
		rel := e.GetRelease()
		switch {
		case e.GetAction() != "released":
			a.Reason = fmt.Sprintf("release %s: only a release published as a full release (action released) ships; not %s", rel.GetTagName(), e.GetAction())
		case rel.GetPrerelease() || rel.GetDraft():
			a.Reason = fmt.Sprintf("release %s is a prerelease or a draft", rel.GetTagName())
		case ref(versionOf(rel.GetTagName())):
			on := now
			if t := rel.GetPublishedAt(); !t.IsZero() {
				on = t.Time
			}
			a.Note = "release " + rel.GetTagName() + " published"
			a.Cmd = commands.PublishRelease(a.Ref, store.DateOf(on, g.loc()))
		}
	case *github.DeploymentStatusEvent:
		dep, st := e.GetDeployment(), e.GetDeploymentStatus()
		env := st.GetEnvironment()
		if env == "" {
			env = dep.GetEnvironment()
		}
		stage := stageName(env)
		switch {
		case st.GetState() != "success":
			a.Reason = fmt.Sprintf("deployment status %s: only success reaches a stage", st.GetState())
		case !tagRef(dep.GetRef()):
			a.Reason = fmt.Sprintf("deployment of %s: a branch or commit, not a tag, so no release", dep.GetRef())
		case stage == "":
			a.Reason = "the deployment names no environment"
		case ref(versionOf(dep.GetRef())):
			on := now
			if t := st.GetCreatedAt(); !t.IsZero() {
				on = t.Time
			}
			a.Note = "deployed " + dep.GetRef() + " to " + env
			if u := st.GetTargetURL(); u != "" {
				a.Note += " (" + u + ")"
			}
			a.Cmd = commands.Promote(a.Ref, stage, store.DateOf(on, g.loc()), false)
		}
	case *github.MilestoneEvent:
		m := e.GetMilestone()
		switch {
		case e.GetAction() != "created" && e.GetAction() != "edited":
			a.Reason = fmt.Sprintf("milestone %s %s: only created and edited milestones move releases", m.GetTitle(), e.GetAction())
		case m.GetState() == "closed":
			a.Reason = fmt.Sprintf("milestone %s is closed", m.GetTitle())
		case m.DueOn == nil || m.GetDueOn().IsZero():
			a.Reason = fmt.Sprintf("milestone %s has no due date", m.GetTitle())
		case ref(versionOf(m.GetTitle())):
			to := store.DateOf(m.GetDueOn().Time, time.UTC)
			a.Note = "GitHub milestone " + m.GetTitle() + " due " + to.String()
			a.What = fmt.Sprintf("move %s to %s", a.Ref, to.Pretty())
			a.Cmd = commands.MoveRelease(a.Ref, to, "GitHub milestone due date changed")
		}
	}
	return a
}

func (g *GitHub) loc() *time.Location {
	if g.Loc == nil {
		return time.UTC
	}
	return g.Loc
}

// ServeHTTP answers as SPEC §8 says: 404 without a secret, 413 over 1 MiB,
// 415 not JSON, 401 a bad or missing X-Hub-Signature-256, 200 to ping,
// 400 a payload that is not its event's JSON, 202 an event that changes
// nothing (with the reason), 200 with what changed, 404 a release
// unknown to a command that needs it.
func (g *GitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.serve(w, r)
}

func (g *GitHub) serve(w http.ResponseWriter, r *http.Request) int {
	if g.Secret == "" {
		http.NotFound(w, r)
		return http.StatusNotFound
	}
	body, code := readBody(w, r)
	if code != 0 {
		return code
	}
	sig := r.Header.Get("X-Hub-Signature-256")
	if !strings.HasPrefix(sig, "sha256=") || github.ValidateSignature(sig, body, []byte(g.Secret)) != nil {
		return failure(w, http.StatusUnauthorized, "missing or bad X-Hub-Signature-256")
	}
	event := github.WebHookType(r)
	ev, repo, err := DecodeGitHub(event, body)
	switch {
	case err != nil:
		return failure(w, http.StatusBadRequest, err.Error())
	case ev == nil:
		return reply(w, http.StatusAccepted, answer{Status: "accepted", Reason: fmt.Sprintf("relman does not use %q events", clip(event))})
	}
	if _, ok := ev.(*github.PingEvent); ok {
		return reply(w, http.StatusOK, answer{Status: "pong"})
	}
	return g.apply(r.Context(), w, ev, repo, github.DeliveryID(r))
}

func (g *GitHub) apply(ctx context.Context, w http.ResponseWriter, ev any, repo, delivery string) int {
	link, err := g.Service.LinkTo(ctx, store.LinkGitHub, repo)
	switch {
	case store.ErrorCode(err) == store.ENotFound:
		return reply(w, http.StatusAccepted, answer{Status: "accepted", Reason: fmt.Sprintf("repository %s is not linked to a product", clip(repo))})
	case err != nil:
		return failure(w, http.StatusServiceUnavailable, "relman can't reach its database; try again")
	}
	a := g.plan(ev, link.Product, g.Service.Clock.Now())
	if a.Cmd == nil {
		return reply(w, http.StatusAccepted, answer{Status: "accepted", Reason: a.Reason})
	}
	req := commands.Request{User: store.ActorGitHub, Via: store.ViaGitHub, Note: a.Note, Channel: link.Channel}
	if delivery != "" {
		req.Delivery = "github\x00" + delivery
	}
	rep := g.Run.Run(ctx, req, a.Cmd)
	if commands.IsUnknownStage(rep) {
		// An environment that is not a stage of the product's pipeline.
		return reply(w, http.StatusAccepted, answer{Status: "accepted", Reason: rep.Err.Message})
	}
	changed := ""
	switch {
	case rep.OK() && !rep.Unchanged:
		changed = plain(rep.Doc)
	case !rep.OK() && a.What != "" && rep.Code != store.ENotFound && !commands.IsDelivered(rep) && rep.Code != store.EUnavailable && rep.Code != store.EInternal:
		// A date change relman refused (a freeze): told where people see it.
		if n, _ := g.Service.Refused(ctx, req, a.Ref, a.What, rep); n > 0 && g.Wake != nil {
			g.Wake()
		}
		g.Service.Delivered(ctx, link, []string{"refused to " + a.What + ": " + rep.Err.Message})
		return reply(w, http.StatusAccepted, answer{Status: "accepted", Reason: "refused: " + rep.Err.Message})
	}
	if rep.OK() {
		g.Service.Delivered(ctx, link, nonEmpty(changed))
	}
	return answerReply(w, rep)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
