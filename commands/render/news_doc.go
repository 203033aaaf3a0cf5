package render

import (
	"fmt"
	"slices"

	"relman/store"
)

// FreezeAddedText is the news that by made freeze f: ":snowflake: @root
// froze all products from Mon 2027-02-01 to Sun 2027-02-07 (FZ-2): “the
// offsite”".
func FreezeAddedText(f *store.Freeze, by string) string {
	return fmt.Sprintf(":snowflake: %s froze %s %s (*%s*): “%s”", Mention(by), f.ProductsText(), FreezeSpan(f), f.Name(), Escape(f.Reason))
}

// FreezeRemovedText is the news that by removed freeze f: ":snowflake:
// @alex removed *FZ-1* (payments, from … to …: “the PCI audit”)".
func FreezeRemovedText(f *store.Freeze, by string) string {
	return fmt.Sprintf(":snowflake: %s removed *%s* (%s, %s: “%s”)", Mention(by), f.Name(), f.ProductsText(), FreezeSpan(f), Escape(f.Reason))
}

// RoleText is the news that by set role of subject (a release in bold, or
// "product payments") to users: ":bust_in_silhouette: @alex set the
// release-manager of product payments: @kim" ("unset" for none).
func RoleText(by string, role store.Role, subject string, users []string) string {
	holders := "unset"
	if len(users) > 0 {
		holders = Mentions(users)
	}
	return fmt.Sprintf(":bust_in_silhouette: %s set the %s of %s: %s", Mention(by), role, subject, holders)
}

// NewsText is n in the words its channel post used.
func NewsText(n *store.News) string {
	switch n.Kind {
	case store.NewsFreezeAdded:
		return FreezeAddedText(n.Freeze, n.By)
	case store.NewsFreezeRemoved:
		return FreezeRemovedText(n.Freeze, n.By)
	}
	subject := "product " + n.Product
	if n.Product == "" {
		subject = Bold(n.Release)
	}
	return RoleText(n.By, n.Role, subject, n.Users)
}

// newsSince: the freezes made and removed and the roles changed since the
// last digest, about a covered product, oldest first, each with its day.
// Since is the instant the last digest was composed, and a change made at
// that very instant is told: on a clock that reads the same instant twice
// (the console's), the change was made after the digest, whose sweep runs
// first.
func (d *digestData) newsSince(limit int) ([]string, int) {
	var lines []string
	total := 0
	for i := range d.news {
		n := &d.news[i]
		if n.At.Before(d.since) || n.At.After(d.now) || !d.coversNews(n) {
			continue
		}
		total++
		if len(lines) < limit {
			lines = append(lines, "• "+store.DateOf(n.At, d.loc).Pretty()+" — "+NewsText(n))
		}
	}
	return lines, total
}

// coversNews reports whether n is about a product the digest covers.
func (d *digestData) coversNews(n *store.News) bool {
	if n.Freeze != nil {
		return d.coversFreeze(n.Freeze)
	}
	return len(d.sub.Products) == 0 || slices.ContainsFunc(d.sub.Products, n.Covers)
}
