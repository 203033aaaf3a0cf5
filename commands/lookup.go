package commands

import (
	"regexp"
	"slices"
	"strings"

	"relman/store"
)

// A version names a release whatever its case: foo@V1 is foo@v1. The store
// keys releases by their spelling, so every command that names an existing
// release has its references resolved to the stored spelling before it
// runs (Execute calls canonicalize); add refuses a version that differs
// only in case from an existing one.

// namesReleases is a command whose fields name existing releases.
type namesReleases interface {
	releaseRefs() []*store.Ref
}

func (c *showCmd) releaseRefs() []*store.Ref     { return []*store.Ref{&c.ref} }
func (c *impactCmd) releaseRefs() []*store.Ref   { return []*store.Ref{&c.ref} }
func (c *historyCmd) releaseRefs() []*store.Ref  { return []*store.Ref{&c.ref} }
func (c *moveCmd) releaseRefs() []*store.Ref     { return []*store.Ref{&c.ref} }
func (c *shipCmd) releaseRefs() []*store.Ref     { return []*store.Ref{&c.ref} }
func (c *cancelCmd) releaseRefs() []*store.Ref   { return []*store.Ref{&c.ref} }
func (c *roleCmd) releaseRefs() []*store.Ref     { return []*store.Ref{&c.ref} }
func (c *dependCmd) releaseRefs() []*store.Ref   { return []*store.Ref{&c.consumer, &c.provider} }
func (c *undependCmd) releaseRefs() []*store.Ref { return []*store.Ref{&c.consumer, &c.provider} }

// canonicalize rewrites the release references of cmd to the spelling they
// are stored under. A reference that matches nothing is left as typed, so
// the command's own lookup says it does not exist.
func (x *Exec) canonicalize(cmd Command) error {
	n, ok := cmd.(namesReleases)
	if !ok {
		return nil
	}
	refs := n.releaseRefs()
	if !slices.ContainsFunc(refs, func(r *store.Ref) bool { return r.Product != "" }) {
		return nil
	}
	return x.view(func(tx *store.Tx) error {
		for _, r := range refs {
			if r.Product == "" {
				continue
			}
			c, err := resolveRef(tx, *r)
			if err != nil {
				return err
			}
			*r = c
		}
		return nil
	})
}

// resolveRef returns the stored spelling of ref: ref itself when a release
// is stored under it, else the release of the same product whose version
// differs only in case, else ref unchanged.
func resolveRef(tx *store.Tx, ref store.Ref) (store.Ref, error) {
	_, err := tx.Release(ref)
	switch store.ErrorCode(err) {
	case "":
		return ref, nil
	case store.ENotFound:
	default:
		return ref, err
	}
	others, err := tx.ReleasesOf(ref.Product)
	if err != nil {
		return ref, err
	}
	for _, o := range others {
		if strings.EqualFold(o.Version, ref.Version) {
			return o.Ref, nil
		}
	}
	return ref, nil
}

// checkNewVersion refuses ref when a release of its product has the same
// version in another case (adding payments@2.3.0-RC1 beside 2.3.0-rc1).
func checkNewVersion(tx *store.Tx, ref store.Ref) error {
	c, err := resolveRef(tx, ref)
	if err != nil {
		return err
	}
	if c != ref {
		return store.Errorf(store.EConflict, "%s already exists as %s (versions are the same whatever their case); use /release set %s version <new> to respell it", ref, c, c)
	}
	return nil
}

// dmChannelRE matches Slack's IDs of direct-message channels.
var dmChannelRE = regexp.MustCompile(`^D[A-Z0-9]{2,}$`)

// isDM reports whether channel is a direct-message channel, where the bot
// cannot post a release's news for others.
func isDM(channel string) bool { return dmChannelRE.MatchString(channel) }

// checkNewsChannel refuses a direct-message channel as a release's news
// channel.
func checkNewsChannel(channel string) error {
	if isDM(channel) {
		return invalid("a direct message can't be a release's news channel: name a channel the team reads, like #releases (and invite the bot there)")
	}
	return nil
}

// repeated is the error for an option given twice ("owner @a owner @b").
func repeated(option string) error {
	return invalid("%s is given twice; give it once", option)
}

// mayShip fails with a forbidden error naming who can ship r: those who may
// manage it, and its release engineers.
func (x *Exec) mayShip(tx *store.Tx, r *store.Release) error {
	p := product(tx, r.Product)
	if r.CanManage(x.req.User, p, x.admin()) || slices.Contains(r.Holders(store.ReleaseEngineer, p), x.req.User) {
		return nil
	}
	who := managers(r, p)
	for _, u := range r.Holders(store.ReleaseEngineer, p) {
		if !slices.Contains(who.users, u) {
			who.add(u, "release engineer")
		}
	}
	return store.Errorf(store.EForbidden, "only %s or an admin can ship %s", who, r.Ref)
}

// mayReassign fails with a forbidden error unless the user may change r's
// owner, channel or name: those who may manage it, and the release managers
// of its product even where the release has its own, so that a release
// whose people left is never stuck.
func (x *Exec) mayReassign(tx *store.Tx, r *store.Release, verb string) error {
	p := product(tx, r.Product)
	if r.CanManage(x.req.User, p, x.admin()) || (p != nil && slices.Contains(p.Roles.Get(store.ReleaseManager), x.req.User)) {
		return nil
	}
	who := managers(r, p)
	if p != nil {
		for _, u := range p.Roles.Get(store.ReleaseManager) {
			if !slices.Contains(who.users, u) {
				who.add(u, "release manager of "+p.Name)
			}
		}
	}
	return store.Errorf(store.EForbidden, "only %s or an admin can %s %s", who, verb, r.Ref)
}

// people is a list of users with what each is, for refusals that say who can.
type people struct {
	users []string
	parts []string
}

func (ps *people) add(u, what string) {
	ps.users = append(ps.users, u)
	ps.parts = append(ps.parts, mention(u)+" ("+what+")")
}

func (ps people) String() string { return strings.Join(ps.parts, ", ") }

// managers are r's owner and release managers.
func managers(r *store.Release, p *store.Product) people {
	var who people
	who.add(r.Owner, "owner")
	for _, u := range r.Holders(store.ReleaseManager, p) {
		if u != r.Owner {
			who.add(u, "release manager")
		}
	}
	return who
}
