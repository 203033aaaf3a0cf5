package render

import (
	"fmt"
	"strings"
	"time"

	"relman/store"
)

// HistoryLine renders one entry of a release's history, its instant in loc.
func HistoryLine(h store.HistoryEntry, loc *time.Location) string {
	at := h.At.In(loc).Format("2006-01-02 15:04 MST")
	var line string
	by := Mention(h.By)
	switch h.Kind {
	case "added":
		line = fmt.Sprintf("added by %s, target %s", by, h.To.Pretty())
	case "moved":
		line = fmt.Sprintf("moved by %s from %s to %s (%s)", by, h.From.Pretty(), h.To.Pretty(), shift(h.To.Sub(h.From)))
	case "shipped":
		line = fmt.Sprintf("shipped by %s on %s", by, h.To.Pretty())
		if len(h.Stages) > 0 {
			line += " (also reached: " + strings.Join(h.Stages, ", ") + ")"
		}
	case store.HistoryStageMoved:
		line = fmt.Sprintf("%s planned by %s for %s, was %s (%s)", h.Stage, by, h.To.Pretty(), h.From.Pretty(), shift(h.To.Sub(h.From)))
	case store.HistoryPromoted:
		line = fmt.Sprintf("promoted to %s by %s on %s", h.Stage, by, h.To.Pretty())
		if len(h.Stages) > 0 {
			line += " (also reached: " + strings.Join(h.Stages, ", ") + ")"
		}
	case "cancelled":
		line = fmt.Sprintf("cancelled by %s", by)
	case "reopened":
		line = fmt.Sprintf("reopened by %s, planned again for %s", by, h.To.Pretty())
		if !h.From.IsZero() {
			line = fmt.Sprintf("reopened by %s (it had been marked shipped on %s), planned again for %s", by, h.From.Pretty(), h.To.Pretty())
		}
	case "renamed":
		line = fmt.Sprintf("renamed by %s from %s to %s", by, Escape(h.FromName), Escape(h.ToName))
	case "owner changed":
		line = fmt.Sprintf("owner changed by %s from %s to %s", by, Mention(h.FromName), Mention(h.ToName))
	case "channel changed":
		line = fmt.Sprintf("news channel changed by %s from %s to %s", by, ChannelRef(h.FromName), ChannelRef(h.ToName))
	case "dependency added", "dependency removed":
		what := "*" + Escape(h.Provider) + "*"
		if h.External {
			what = "external “" + Escape(h.Provider) + "”"
		}
		if h.Kind == store.HistoryDependencyRemoved {
			line = fmt.Sprintf("dependency on %s removed by %s", what, by)
			break
		}
		need := "by its target date"
		if !h.To.IsZero() {
			need = "by " + h.To.Pretty()
		}
		line = fmt.Sprintf("now depends on %s%s, needed %s (recorded by %s)", what, InStage(h.Stage), need, by)
	case "role changed":
		if len(h.Users) == 0 {
			line = fmt.Sprintf("%s cleared by %s", h.Role, by)
		} else {
			line = fmt.Sprintf("%s set to %s by %s", h.Role, Mentions(h.Users), by)
		}
	default:
		line = fmt.Sprintf("%s by %s", h.Kind, by)
	}
	if h.Freeze != "" {
		line += ", inside freeze " + h.Freeze + " by admin override"
	}
	if len(h.Open) > 0 {
		line += ", going ahead with checklist items open (" + Escape(strings.Join(h.Open, "; ")) + ")"
	}
	line = "• " + at + " — " + line
	if h.Reason != "" {
		line += ": “" + Escape(h.Reason) + "”"
	}
	return line
}

// shift says a date change the way people do: "3 days later", "1 day
// earlier".
func shift(n int) string {
	switch {
	case n > 0:
		return Days(n) + " later"
	case n < 0:
		return Days(n) + " earlier"
	}
	return "same day"
}
