package bot

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"relman/commands"
	"relman/store"
)

// Group cache defaults.
const (
	defaultGroupTTL = 10 * time.Minute
	// defaultGroupMissRefresh is the least age of a cached group that a
	// vote from someone not in it refreshes: a non-member clicking again
	// and again costs one usergroups.users.list per interval, not one per
	// click.
	defaultGroupMissRefresh = 30 * time.Second
)

// Groups resolves Slack user groups (S…) to their members with
// usergroups.users.list, caching each group for TTL. Concurrent lookups of
// one group share one call. A board whose members are a user group asks
// IsMember on every vote: a voter missing from the cached list makes it ask
// Slack again (someone just added to the group can vote at once).
//
// commands.Service takes it as its group resolver (svc.Groups = &bot.Groups{…});
// Service.Vote asks IsMember when a voter is missing from the members.
type Groups struct {
	API     *slack.Client
	Clock   store.Clock
	TTL     time.Duration // how long a group's members are trusted (default 10 minutes)
	Log     *slog.Logger
	Metrics *Metrics
	// MissRefresh is the least age of a cached list that IsMember refreshes
	// on a miss (default 30 seconds).
	MissRefresh time.Duration

	mu       sync.Mutex
	groups   map[string]groupEntry
	inflight map[string]*groupCall
}

var (
	_ commands.Groups       = (*Groups)(nil)
	_ commands.GroupChecker = (*Groups)(nil)
)

type groupEntry struct {
	members []string // sorted
	fetched time.Time
}

// groupCall is one usergroups.users.list under way; done is closed when
// members and err are set.
type groupCall struct {
	done    chan struct{}
	members []string
	err     error
}

// GroupMembers returns the user IDs of group id, sorted: the cached list
// while it is younger than TTL, else Slack's answer. When Slack fails and
// the group was cached before, the stale list is returned (and the failure
// logged); otherwise the error, which for an unknown group wraps Slack's
// no_such_subteam. The returned slice is the caller's.
func (g *Groups) GroupMembers(ctx context.Context, id string) ([]string, error) {
	e, ok := g.cached(id)
	if ok && g.Clock.Now().Sub(e.fetched) < g.ttl() {
		return slices.Clone(e.members), nil
	}
	members, err := g.fetch(ctx, id)
	if err != nil && ok {
		g.log().Warn("user group lookup failed; using the cached members", "group", id, "age", g.Clock.Now().Sub(e.fetched), "err", err)
		return slices.Clone(e.members), nil
	}
	return members, err
}

// Refresh asks Slack for group id's members now, caches and returns them.
func (g *Groups) Refresh(ctx context.Context, id string) ([]string, error) {
	return g.fetch(ctx, id)
}

// IsMember reports whether user is in group id. When the cached list does
// not have user and is at least MissRefresh old, Slack is asked again once,
// so a member added since the list was cached is found.
func (g *Groups) IsMember(ctx context.Context, id, user string) (bool, error) {
	members, err := g.GroupMembers(ctx, id)
	if err != nil {
		return false, err
	}
	if _, found := slices.BinarySearch(members, user); found {
		return true, nil
	}
	e, ok := g.cached(id)
	miss := g.MissRefresh
	if miss == 0 {
		miss = defaultGroupMissRefresh
	}
	if ok && g.Clock.Now().Sub(e.fetched) < miss {
		return false, nil
	}
	if members, err = g.fetch(ctx, id); err != nil {
		return false, err
	}
	_, found := slices.BinarySearch(members, user)
	return found, nil
}

func (g *Groups) cached(id string) (groupEntry, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.groups[id]
	return e, ok
}

// fetch calls usergroups.users.list for id, or waits for the call already
// under way, and caches the answer.
func (g *Groups) fetch(ctx context.Context, id string) ([]string, error) {
	g.mu.Lock()
	if c, ok := g.inflight[id]; ok {
		g.mu.Unlock()
		select {
		case <-c.done:
			return slices.Clone(c.members), c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if g.inflight == nil {
		g.inflight = make(map[string]*groupCall)
		g.groups = make(map[string]groupEntry)
	}
	c := &groupCall{done: make(chan struct{})}
	g.inflight[id] = c
	g.mu.Unlock()

	members, err := g.API.GetUserGroupMembersContext(ctx, id)
	if err != nil {
		g.Metrics.slackError("usergroups.users.list", errorCode(err))
		err = fmt.Errorf("usergroups.users.list %s: %w", id, err)
	} else {
		members = slices.Clone(members)
		slices.Sort(members)
		members = slices.Compact(members)
	}
	g.mu.Lock()
	if err == nil {
		g.groups[id] = groupEntry{members: members, fetched: g.Clock.Now()}
	}
	c.members, c.err = members, err
	delete(g.inflight, id)
	g.mu.Unlock()
	close(c.done)
	return slices.Clone(members), err
}

func (g *Groups) ttl() time.Duration {
	if g.TTL == 0 {
		return defaultGroupTTL
	}
	return g.TTL
}

func (g *Groups) log() *slog.Logger {
	if g.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return g.Log
}
