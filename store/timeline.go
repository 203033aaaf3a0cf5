package store

// Timeline is what a timeline picture shows (SPEC §2 `/release timeline`):
// releases on a date axis, one lane per product, the dependencies between
// them, today and the freeze windows. It is composed from stored state by
// render.NewTimeline in the transaction that queues the message carrying
// it (Message.Picture), so the picture and the message's text say the same
// thing as of one moment; transports draw it when they deliver. Its words
// (labels) are composed already: a renderer only places them.
type Timeline struct {
	// Title is plain text, no markup: "Timeline · payments and auth · Mon 2027-01-04".
	Title string `json:"title"`
	// From and To are the first and last day shown (inclusive).
	From  Date `json:"from"`
	To    Date `json:"to"`
	Today Date `json:"today"`
	// Lanes are the rows, top to bottom: one per product, the external
	// items last.
	Lanes   []TimelineLane   `json:"lanes"`
	Edges   []TimelineEdge   `json:"edges,omitempty"`
	Freezes []TimelineFreeze `json:"freezes,omitempty"`
	// Note, plain text, is a line under the picture: what was left out.
	Note string `json:"note,omitempty"`
}

// TimelineLane is one row of a Timeline.
type TimelineLane struct {
	Name  string         `json:"name"` // a product, or "external items"
	Items []TimelineItem `json:"items"`
}

// Item kinds of a timeline, for how an item is drawn.
const (
	ItemPlanned   = "planned"
	ItemAtRisk    = "at-risk"
	ItemOverdue   = "overdue" // planned, and past its own target
	ItemShipped   = "shipped"
	ItemCancelled = "cancelled" // only as the provider of an edge
	ItemExternal  = "external"
)

// TimelineItem is a release (or an external item) on its lane, at its date.
type TimelineItem struct {
	// Key names the item for edges: a release key ("payments@2.3.0") or
	// "ext:" and an external key.
	Key   string `json:"key"`
	Label string `json:"label"` // "2.3.0", or the external item's name
	Date  Date   `json:"date"`
	Kind  string `json:"kind"` // ItemPlanned, ItemAtRisk, …
}

// TimelineEdge is a dependency between two items of a Timeline: the
// consumer (To) needs the provider (From).
type TimelineEdge struct {
	From     string `json:"from"` // the provider's item Key
	To       string `json:"to"`   // the consumer's item Key
	NeededBy Date   `json:"needed_by"`
	Slipped  bool   `json:"slipped,omitempty"`
	DaysLate int    `json:"days_late,omitempty"`
	// Label, plain text, says what is wrong with a slipped edge: "5d late".
	Label string `json:"label,omitempty"`
}

// TimelineFreeze is a freeze window, shaded on the lanes it covers.
type TimelineFreeze struct {
	Name string `json:"name"` // FZ-3
	From Date   `json:"from"`
	To   Date   `json:"to"`
	// Lanes names the lanes it covers; none means every lane.
	Lanes []string `json:"lanes,omitempty"`
}

// Items counts the items of every lane.
func (t *Timeline) Items() int {
	n := 0
	for _, l := range t.Lanes {
		n += len(l.Items)
	}
	return n
}
