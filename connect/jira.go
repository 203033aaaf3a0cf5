package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"relman/commands"
	"relman/store"
)

// JiraTimeout bounds one sync's requests to Jira: a Jira that answers
// nothing within it fails the sync.
const JiraTimeout = 10 * time.Second

// jiraPage is the number of versions asked for per page (Jira's maximum).
const jiraPage = 50

// Jira syncs the versions of each linked Jira project (SPEC §8): relman
// reads them page by page (GET /rest/api/2/project/<KEY>/version) and runs,
// as the actor Jira, the commands their changes since the last sync call
// for. A failure changes nothing, is logged, counted, and told once to
// whoever linked the project.
type Jira struct {
	URL   string // RELMAN_JIRA_URL, no trailing slash
	Token string // RELMAN_JIRA_TOKEN
	User  string // RELMAN_JIRA_USER: basic auth user:token when set, else Bearer
	// Client makes the requests; nil is a client with JiraTimeout.
	Client  *http.Client
	Run     Runner
	Service *commands.Service
	Log     *slog.Logger
	// Errors, if set, counts a failed sync (relman_connector_errors_total).
	Errors func(connector string)
	// Wake, if set, is called when a failure DM was queued.
	Wake func()

	mu      sync.Mutex
	retryAt map[string]time.Time // a project's Retry-After, from a 429
}

// JiraVersionJSON is one version as Jira's REST API gives it ("Get project
// versions paginated": id, name, releaseDate as yyyy-mm-dd, released,
// archived; other fields ignored).
type JiraVersionJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ReleaseDate string `json:"releaseDate,omitempty"`
	Released    bool   `json:"released"`
	Archived    bool   `json:"archived"`
}

// JiraPageJSON is one page of Jira's paginated versions.
type JiraPageJSON struct {
	StartAt    int               `json:"startAt"`
	MaxResults int               `json:"maxResults"`
	Total      int               `json:"total"`
	IsLast     bool              `json:"isLast"`
	Values     []JiraVersionJSON `json:"values"`
}

// DecodeJiraPage reads one page of versions; an error for anything that is
// not one (garbage): not JSON, no values, a version without an id, a
// release date that is not yyyy-mm-dd.
func DecodeJiraPage(body []byte) (JiraPageJSON, error) {
	var p JiraPageJSON
	if err := json.Unmarshal(body, &p); err != nil {
		return p, fmt.Errorf("the answer is not a page of Jira versions: %v", err)
	}
	if p.Values == nil {
		return p, errors.New("the answer has no \"values\" (not a page of Jira versions)")
	}
	for _, v := range p.Values {
		if v.ID == "" {
			return p, errors.New("the answer has a Jira version without an id")
		}
		if v.ReleaseDate != "" {
			if _, err := store.ParseDate(v.ReleaseDate); err != nil {
				return p, fmt.Errorf("the Jira version %s has releaseDate %q, not yyyy-mm-dd", v.ID, clip(v.ReleaseDate))
			}
		}
	}
	return p, nil
}

// jiraError is a failed sync, said for the DM and the log.
type jiraError struct {
	msg        string
	retryAfter time.Duration
}

func (e *jiraError) Error() string { return e.msg }

// fetch reads every version of project key, page by page until isLast.
func (j *Jira) fetch(ctx context.Context, key string) ([]JiraVersionJSON, error) {
	ctx, cancel := context.WithTimeout(ctx, JiraTimeout)
	defer cancel()
	var all []JiraVersionJSON
	for start := 0; ; {
		u := fmt.Sprintf("%s/rest/api/2/project/%s/version?startAt=%d&maxResults=%d", j.URL, url.PathEscape(key), start, jiraPage)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, &jiraError{msg: err.Error()}
		}
		req.Header.Set("Accept", "application/json")
		if j.User != "" {
			req.SetBasicAuth(j.User, j.Token)
		} else {
			req.Header.Set("Authorization", "Bearer "+j.Token)
		}
		resp, err := j.client().Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, &jiraError{msg: fmt.Sprintf("Jira did not answer within %s", JiraTimeout)}
			}
			return nil, &jiraError{msg: "Jira could not be reached: " + err.Error()}
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if err != nil {
			return nil, &jiraError{msg: "Jira's answer could not be read: " + err.Error()}
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			return nil, &jiraError{msg: fmt.Sprintf("Jira asks to wait (429, Retry-After %ds)", secs), retryAfter: time.Duration(secs) * time.Second}
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return nil, &jiraError{msg: fmt.Sprintf("Jira refused relman's credentials (%d): check RELMAN_JIRA_TOKEN and RELMAN_JIRA_USER", resp.StatusCode)}
		case resp.StatusCode == http.StatusNotFound:
			return nil, &jiraError{msg: fmt.Sprintf("Jira has no project %s (404), or relman may not see it", key)}
		case resp.StatusCode != http.StatusOK:
			return nil, &jiraError{msg: fmt.Sprintf("Jira answered %d", resp.StatusCode)}
		}
		page, err := DecodeJiraPage(body)
		if err != nil {
			return nil, &jiraError{msg: err.Error()}
		}
		all = append(all, page.Values...)
		if page.IsLast || len(page.Values) == 0 {
			return all, nil
		}
		start += len(page.Values)
	}
}

func (j *Jira) client() *http.Client {
	if j.Client != nil {
		return j.Client
	}
	return &http.Client{Timeout: JiraTimeout}
}

func (j *Jira) log() *slog.Logger {
	if j.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return j.Log
}

// Sync syncs every linked Jira project; it is the job of the scheduler
// (RELMAN_JIRA_SYNC, at start, the leader only). A project's failure does
// not stop the others; the error joins them.
func (j *Jira) Sync(ctx context.Context, now time.Time) error {
	keys, err := j.Service.JiraLinks(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, k := range keys {
		if _, err := j.SyncProject(ctx, k); err != nil {
			errs = append(errs, fmt.Errorf("jira %s: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// SyncReport is what one project's sync did.
type SyncReport struct {
	Changed []string // what each command changed, as its reply says
	Skipped int      // names that are no version of the product
	Refused int      // date changes relman refused (posted to the channel)
}

// SyncProject syncs the Jira project key once and reports what it changed.
// Jira failing changes nothing: the failure is logged, counted and told
// (once) and returned; a 429 skips the project until its Retry-After.
func (j *Jira) SyncProject(ctx context.Context, key string) (SyncReport, error) {
	var rep SyncReport
	now := j.Service.Clock.Now()
	j.mu.Lock()
	wait := j.retryAt[key]
	j.mu.Unlock()
	if now.Before(wait) {
		return rep, nil
	}
	state, err := j.Service.JiraState(ctx, key)
	if err != nil {
		return rep, err
	}
	versions, err := j.fetch(ctx, key)
	if err != nil {
		j.failed(ctx, key, now, err)
		return rep, err
	}
	plan := PlanJira(state.Link.Product, key, state.Versions, versions, store.DateOf(now, j.Service.Loc))
	rep.Skipped = plan.Skipped
	for _, st := range plan.Steps {
		seen := st.Seen
		req := commands.Request{User: store.ActorJira, Via: store.ViaJira, Note: st.Note, Channel: state.Link.Channel}
		if st.Last {
			req.Also = func(tx *store.Tx) error { return tx.PutJiraVersion(&seen) }
		}
		r := j.Run.Run(ctx, req, st.Cmd)
		switch {
		case r.OK() && !r.Unchanged:
			rep.Changed = append(rep.Changed, plain(r.Doc))
		case r.OK():
			if st.Last { // nothing to change: the version is seen all the same
				plan.Seen = append(plan.Seen, seen)
			}
		case r.Code == store.EUnavailable || r.Code == store.EInternal:
			return rep, fmt.Errorf("%s: %s", commands.Format(st.Cmd), r.Err.Message)
		default:
			// Refused (a freeze): said in the release's channel, once; the
			// version is recorded as seen so it is not refused again.
			rep.Refused++
			rep.Changed = append(rep.Changed, "refused to "+st.What+": "+r.Err.Message)
			if st.What != "" {
				if n, _ := j.Service.Refused(ctx, req, st.Ref, st.What, r); n > 0 && j.Wake != nil {
					j.Wake()
				}
			}
			plan.Seen = append(plan.Seen, seen)
		}
	}
	if err := j.Service.JiraSynced(ctx, key, plan.Seen, rep.Changed, plan.Skipped); err != nil {
		return rep, err
	}
	j.log().Info("jira synced", "project", key, "versions", len(versions), "changed", len(rep.Changed), "skipped", rep.Skipped)
	return rep, nil
}

// failed logs, counts and tells a failed sync; a 429's Retry-After holds
// the project's next sync back.
func (j *Jira) failed(ctx context.Context, key string, now time.Time, err error) {
	j.log().Warn("jira sync failed; nothing changed", "project", key, "err", err)
	if j.Errors != nil {
		j.Errors("jira")
	}
	if je, ok := errors.AsType[*jiraError](err); ok && je.retryAfter > 0 {
		j.mu.Lock()
		if j.retryAt == nil {
			j.retryAt = map[string]time.Time{}
		}
		j.retryAt[key] = now.Add(je.retryAfter)
		j.mu.Unlock()
	}
	if n, terr := j.Service.JiraFailed(ctx, key, err.Error()); terr != nil {
		j.log().Error("jira failure not recorded", "project", key, "err", terr)
	} else if n > 0 && j.Wake != nil {
		j.Wake()
	}
}

// JiraStep is one command a sync runs for a version, with the version as
// seen, recorded in the command's transaction.
type JiraStep struct {
	Cmd  commands.Command
	Ref  store.Ref
	Seen store.JiraVersion
	// Last marks a version's last step: it records Seen in its
	// transaction, so a version is seen once all its steps landed.
	Last bool
	Note string // "Jira version payments 4.2.0"
	What string // how a refusal names the change
}

// JiraPlan is what a sync does: the steps, the versions seen to record
// without a command, and the names skipped.
type JiraPlan struct {
	Steps   []JiraStep
	Seen    []store.JiraVersion
	Skipped int
}

// PlanJira decides, purely, what the versions Jira gives for project key
// (product's) call for against what the last sync saw (prior, by id),
// today: a version with a release date relman has not seen is added (or
// moved to Jira's date); a release date changed since is a move with the
// reason; a new name is a rename; released ships on its release date (today
// when that is later); archived versions, versions without a date, and
// names that are no version of the product change nothing.
func PlanJira(product, key string, prior map[string]store.JiraVersion, versions []JiraVersionJSON, today store.Date) JiraPlan {
	var p JiraPlan
	for _, v := range versions {
		seen := store.JiraVersion{Project: key, ID: v.ID, Name: v.Name, Released: v.Released, Archived: v.Archived}
		if v.ReleaseDate != "" {
			seen.Date, _ = store.ParseDate(v.ReleaseDate)
		}
		ref, ok := jiraRef(product, key, v.Name)
		if !ok {
			p.Skipped++
			if prior[v.ID] != seen {
				p.Seen = append(p.Seen, seen)
			}
			continue
		}
		seen.Ref = ref.String()
		old, known := prior[v.ID]
		if v.Archived || seen.Date.IsZero() || old == seen {
			if old != seen {
				p.Seen = append(p.Seen, seen)
			}
			continue
		}
		note := "Jira version " + v.Name
		var steps []JiraStep
		if known && old.Ref != "" && old.Ref != seen.Ref {
			if from, err := store.ParseRef(old.Ref); err == nil {
				steps = append(steps, JiraStep{Cmd: commands.RenameRelease(from, ref.Version), Ref: from, Note: note + " (was " + old.Name + ")", What: "rename " + old.Ref + " to " + ref.String()})
			}
		}
		if !known || old.Date != seen.Date || old.Archived {
			steps = append(steps, JiraStep{Cmd: commands.MoveRelease(ref, seen.Date, "the Jira version's release date changed"), Ref: ref, Note: note, What: fmt.Sprintf("move %s to %s", ref, seen.Date.Pretty())})
		}
		if v.Released && (!known || !old.Released) {
			on := seen.Date
			if on.After(today) {
				on = today
			}
			steps = append(steps, JiraStep{Cmd: commands.PublishRelease(ref, on), Ref: ref, Note: note + " released", What: "ship " + ref.String()})
		}
		if len(steps) == 0 {
			p.Seen = append(p.Seen, seen)
			continue
		}
		for i := range steps {
			steps[i].Seen = seen
		}
		steps[len(steps)-1].Last = true
		p.Steps = append(p.Steps, steps...)
	}
	return p
}

// jiraRef reads a Jira version's name as a release of product: "<product>
// <version>", "<KEY> <version>" or "<version>".
func jiraRef(product, key, name string) (store.Ref, bool) {
	name = strings.TrimSpace(name)
	if head, rest, ok := strings.Cut(name, " "); ok {
		if !strings.EqualFold(head, product) && !strings.EqualFold(head, key) {
			return store.Ref{}, false
		}
		name = strings.TrimSpace(rest)
	}
	ref, err := store.NewRef(product, name)
	return ref, err == nil
}
