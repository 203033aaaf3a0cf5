package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// bucketChecklists holds the products' checklist templates, keyed by
// product name (schema 8). A release's own items live in its record
// (Release.Checklist), so a rename, a delete and a restore carry them, and
// the cached Graph the due-check reads has them.
var bucketChecklists = []byte("checklists")

// MaxChecklistText bounds the text of a checklist item.
const MaxChecklistText = 200

// ChecklistItem is one readiness task of a release (or, in a product's
// template, one to copy into each new release): its number N (stable, per
// release or template), Text, Owner (empty: the release's owner answers
// for it), an optional Due date, and an optional stage it must be done
// Before. Follow says its due date is DaysBefore days before the planned
// date of that stage (the target without one) and follows it when that
// date is re-planned, until the due date is set by hand.
type ChecklistItem struct {
	N          int       `json:"n"`
	Text       string    `json:"text"`
	Owner      string    `json:"owner,omitempty"`
	Due        Date      `json:"due,omitzero"`
	Before     string    `json:"before,omitempty"`
	Follow     bool      `json:"follow,omitempty"`
	DaysBefore int       `json:"days_before,omitempty"`
	Done       bool      `json:"done,omitempty"`
	DoneBy     string    `json:"done_by,omitempty"`
	DoneAt     time.Time `json:"done_at,omitzero"`
	AddedBy    string    `json:"added_by,omitempty"`
	AddedAt    time.Time `json:"added_at,omitzero"`
}

// Name is how users write the item: "#3".
func (it *ChecklistItem) Name() string { return "#" + strconv.Itoa(it.N) }

// Answerer is who answers for the item on release r: its owner, else the
// release's owner.
func (it *ChecklistItem) Answerer(r *Release) string {
	if it.Owner != "" {
		return it.Owner
	}
	return r.Owner
}

// Overdue reports whether the open item's due date has passed as of today.
func (it *ChecklistItem) Overdue(today Date) bool {
	return !it.Done && !it.Due.IsZero() && it.Due.Before(today)
}

// ValidateChecklistText checks an item's text and returns an EInvalid
// *Error saying what is wrong.
func ValidateChecklistText(s string) error {
	switch n := utf8.RuneCountInString(strings.TrimSpace(s)); {
	case n == 0:
		return Errorf(EInvalid, "a checklist item needs its text in quotes, like \"security review\"")
	case n > MaxChecklistText:
		return Errorf(EInvalid, "the item's text is too long (%d characters; at most %d)", n, MaxChecklistText)
	}
	return nil
}

// ParseChecklistNumber reads an item's number: "3" or "#3".
func ParseChecklistNumber(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "#"))
	if err != nil || n <= 0 {
		return 0, Errorf(EInvalid, "%q is not a checklist item: use its number, like 2", clip(s, 20))
	}
	return n, nil
}

// ChecklistStages returns the pipeline of product (the default one for a
// product not yet created), production last: the stages a template item
// may be before.
func (tx *Tx) ChecklistStages(product string) ([]string, error) {
	p, err := tx.Product(product)
	if ErrorCode(err) == ENotFound {
		return PipelineOf(nil), nil
	}
	if err != nil {
		return nil, err
	}
	return PipelineOf(p), nil
}

// followChecklist sets the due date of every item that follows its
// stage's planned date (Follow) from r's dates as they are now. PutRelease
// calls it, so a move or a re-planned stage moves those due dates in the
// same write.
//
// The items are copied before one changes: r may be a copy of a release
// the cached Graph shares, whose items must not change under it.
func (r *Release) followChecklist() {
	copied := false
	for i := range r.Checklist {
		it := &r.Checklist[i]
		if !it.Follow || it.Done {
			continue
		}
		d := r.PlannedFor(it.Before)
		if d.IsZero() || it.Due == d.AddDays(-it.DaysBefore) {
			continue
		}
		if !copied {
			r.Checklist, copied = slices.Clone(r.Checklist), true
			it = &r.Checklist[i]
		}
		it.Due = d.AddDays(-it.DaysBefore)
	}
}

// ChecklistItem returns item n of r, or an ENotFound *Error naming the
// items there are.
func (r *Release) ChecklistItem(n int) (*ChecklistItem, error) {
	for i := range r.Checklist {
		if r.Checklist[i].N == n {
			return &r.Checklist[i], nil
		}
	}
	if len(r.Checklist) == 0 {
		return nil, Errorf(ENotFound, "%s has no checklist item #%d: it has no checklist yet", r.Ref, n)
	}
	return nil, Errorf(ENotFound, "%s has no checklist item #%d: its items are #1 to #%d", r.Ref, n, r.Checklist[len(r.Checklist)-1].N)
}

// AddChecklistItem numbers it (the next number of r's checklist) and
// appends it to r; the caller stores r.
func (r *Release) AddChecklistItem(it ChecklistItem) *ChecklistItem {
	it.N = 1
	if n := len(r.Checklist); n > 0 {
		it.N = r.Checklist[n-1].N + 1
	}
	r.Checklist = append(r.Checklist, it)
	r.followChecklist()
	return &r.Checklist[len(r.Checklist)-1]
}

// ChecklistDone counts r's items done and all of them.
func (r *Release) ChecklistDone() (done, all int) {
	for i := range r.Checklist {
		if r.Checklist[i].Done {
			done++
		}
	}
	return done, len(r.Checklist)
}

// openBefore returns r's open items that must be done before stage in
// pipeline: those before it or an earlier stage. An item before a stage
// the pipeline no longer has must be done before production.
func (r *Release) openBefore(stage string, pipeline []string) []ChecklistItem {
	at := slices.Index(pipeline, stage)
	var out []ChecklistItem
	for _, it := range r.Checklist {
		if it.Done || it.Before == "" {
			continue
		}
		i := slices.Index(pipeline, it.Before)
		if i < 0 {
			i = len(pipeline) - 1
		}
		if i <= at {
			out = append(out, it)
		}
	}
	return out
}

// OpenChecklistBefore returns the open checklist items of release ref
// that must be done before it reaches stage: those before that stage or
// an earlier one of its pipeline, in number order. It returns an
// ENotFound *Error for a missing release and an EInvalid one, listing the
// pipeline, for a stage the release's pipeline lacks.
func (tx *Tx) OpenChecklistBefore(ref Ref, stage string) ([]ChecklistItem, error) {
	r, err := tx.Release(ref)
	if err != nil {
		return nil, err
	}
	if err := r.CheckStage(stage); err != nil {
		return nil, err
	}
	return r.openBefore(stage, r.Pipeline()), nil
}

// UnknownStage is the EInvalid *Error for a stage not in product's
// pipeline, listing the pipeline.
func UnknownStage(product, stage string, pipeline []string) *Error {
	return Errorf(EInvalid, "%s has no stage %q: its pipeline is %s", product, clip(stage, 40), PipelineText(pipeline))
}

// ChecklistTemplate is a product's checklist template: items copied into
// each new release of the product. Next is the number the next item
// gets, so numbers stay stable when an item is removed.
type ChecklistTemplate struct {
	Product string          `json:"product"`
	Items   []ChecklistItem `json:"items,omitempty"`
	Next    int             `json:"next"`
}

// ChecklistTemplate returns product's template: an empty one when it has
// none.
func (tx *Tx) ChecklistTemplate(product string) (*ChecklistTemplate, error) {
	t, err := get[ChecklistTemplate](tx, bucketChecklists, product)
	if err != nil {
		return nil, err
	}
	if t == nil {
		t = &ChecklistTemplate{Product: product}
	}
	return t, nil
}

// PutChecklistTemplate stores t, audited under action.
func (tx *Tx) PutChecklistTemplate(action string, t *ChecklistTemplate) error {
	if t.Product == "" {
		return fmt.Errorf("put checklist template: no product")
	}
	return tx.put(bucketChecklists, t.Product, action, t)
}

// Add numbers it and appends it to t.
func (t *ChecklistTemplate) Add(it ChecklistItem) *ChecklistItem {
	t.Next = max(t.Next, 1)
	it.N = t.Next
	t.Next++
	t.Items = append(t.Items, it)
	return &t.Items[len(t.Items)-1]
}

// Remove takes item n out of t and returns it, or an ENotFound *Error.
func (t *ChecklistTemplate) Remove(n int) (ChecklistItem, error) {
	for i, it := range t.Items {
		if it.N == n {
			t.Items = slices.Delete(t.Items, i, i+1)
			return it, nil
		}
	}
	if len(t.Items) == 0 {
		return ChecklistItem{}, Errorf(ENotFound, "%s's checklist template has no item #%d: it is empty", t.Product, n)
	}
	nums := make([]string, len(t.Items))
	for i, it := range t.Items {
		nums[i] = it.Name()
	}
	return ChecklistItem{}, Errorf(ENotFound, "%s's checklist template has no item #%d: its items are %s", t.Product, n, strings.Join(nums, ", "))
}

// CopyTemplate appends t's items to r's checklist, new and open, added by
// by at at; the caller stores r.
func (r *Release) CopyTemplate(t *ChecklistTemplate, by string, at time.Time) {
	for _, it := range t.Items {
		r.AddChecklistItem(ChecklistItem{Text: it.Text, Owner: it.Owner, Before: it.Before, Follow: it.Follow, DaysBefore: it.DaysBefore, AddedBy: by, AddedAt: at})
	}
}
