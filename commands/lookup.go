package commands

import (
	"slices"
	"strings"

	"relman/commands/render"
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

// repeated is the error for an option given twice ("owner @a owner @b").
func repeated(option string) error {
	return invalid("%s is given twice; give it once", option)
}

// people is a list of users with what each is, for refusals that say who can.
type people struct {
	users []string
	parts []string
}

func (ps *people) add(u, what string) {
	ps.users = append(ps.users, u)
	ps.parts = append(ps.parts, render.Mention(u)+" ("+what+")")
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
