package commands

import (
	"strings"

	"relman/commands/render"
	"relman/store"
)

// A version names a release whatever its case: foo@V1 is foo@v1. The store
// keys releases by their spelling; a command that names an existing
// release resolves it with loadRelease, in its own transaction, and uses
// the stored spelling it returns; add refuses a version that differs only
// in case from an existing one.

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
