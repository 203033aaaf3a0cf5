package render

import (
	"encoding/json"
	"fmt"
	"time"

	"relman/store"
)

// AuditDoc renders a page of the audit log, newest first, with instants in
// loc: scope, mrkdwn, says what the page is of ("payments@2.3.0", "changes
// by <@U1>", "" for everything), and next is the command that shows the
// entries older than the page's: "…and N more" when they were counted.
func AuditDoc(scope string, page store.AuditPage, next string, loc *time.Location) store.Doc {
	b := NewDoc("Audit log")
	if scope != "" {
		b.Context("Of " + scope)
	}
	if len(page.Entries) == 0 {
		b.Section("Nothing in the audit log matches.")
		return b.Build()
	}
	lines := make([]string, len(page.Entries))
	for i, a := range page.Entries {
		lines[i] = AuditLine(a, loc)
	}
	b.Lines(lines)
	b.Context("Newest first; times in " + loc.String() + ". Via: the transport the change came through (— where it was not recorded).")
	switch {
	case page.Older > 0:
		b.More(page.Older, "older entries: `"+Escape(next)+"`")
	case page.More:
		b.Context("Older entries: `" + Escape(next) + "`")
	}
	return b.Build()
}

// AuditLine renders one audit entry: its number, instant (in loc), who,
// what, on what, through which transport, and the reason the change gave.
func AuditLine(a store.Audit, loc *time.Location) string {
	via := a.Via
	if via == "" {
		via = "—"
	}
	who := Mention(a.Actor)
	if a.Actor == "" || a.Actor == "relman" {
		who = "relman"
	}
	line := fmt.Sprintf("• `#%d` %s — %s · `%s` · %s · via %s", a.Seq, a.At.In(loc).Format("2006-01-02 15:04 MST"), who, Escape(a.Action), Escape(a.Subject), Escape(via))
	if what := auditChange(a); what != "" {
		line += " · " + what
	}
	if r := AuditReason(a); r != "" {
		line += ": “" + Escape(r) + "”"
	}
	return line
}

// auditChange says whether the entry created, changed or removed its
// record.
func auditChange(a store.Audit) string {
	switch {
	case a.Before == nil && a.After != nil:
		return "created"
	case a.Before != nil && a.After == nil:
		return "removed"
	}
	return ""
}

// AuditReason is the reason recorded with the change of a, if any: the
// reason of the history entry the change added to a release (a move, a
// cancel, a delete), or a record's own reason (an override, a decision).
func AuditReason(a store.Audit) string {
	raw := a.After
	if raw == nil {
		raw = a.Before
	}
	if len(raw) == 0 {
		return ""
	}
	var v struct {
		Reason  string `json:"reason"`
		History []struct {
			At     time.Time `json:"at"`
			Reason string    `json:"reason"`
		} `json:"history"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	if n := len(v.History); n > 0 && v.History[n-1].At.Equal(a.At) {
		return v.History[n-1].Reason
	}
	return v.Reason
}
