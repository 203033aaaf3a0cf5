package store

import (
	"regexp"
	"slices"
	"strings"
)

// Production is the last stage of every pipeline: reaching it is
// shipping, and a release's target date is its production date.
const Production = "production"

// defaultPipeline is a product's pipeline until one is set.
var defaultPipeline = []string{"test", Production}

// defaultStages are the stages before production of a release whose
// Stages are unset: the default pipeline's, nothing planned or reached.
// Shared: never modified.
var defaultStages = []Stage{{Name: "test"}}

var stageRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// NormalizeStage case-folds s and checks it is a stage name. It returns an
// EInvalid *Error saying what is allowed.
func NormalizeStage(s string) (string, error) {
	n := strings.ToLower(s)
	if !stageRE.MatchString(n) {
		return "", Errorf(EInvalid, "%q is not a stage name: use 1–32 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", clip(s, 40))
	}
	return n, nil
}

// ValidatePipeline checks that stages, already normalized, are a pipeline:
// at least production, production last, no stage twice. It returns an
// EInvalid *Error saying what is wrong.
func ValidatePipeline(stages []string) error {
	if len(stages) == 0 || stages[len(stages)-1] != Production {
		return Errorf(EInvalid, "a pipeline ends with production (like \"build test staging production\")")
	}
	for i, s := range stages {
		if slices.Contains(stages[:i], s) {
			return Errorf(EInvalid, "%s is in the pipeline twice: each stage comes once", s)
		}
	}
	return nil
}

// PipelineOf returns the pipeline of product p (nil: a product not yet
// created): its own, else the default (test, production). The slice is
// shared.
func PipelineOf(p *Product) []string {
	if p != nil && len(p.Pipeline) > 0 {
		return p.Pipeline
	}
	return defaultPipeline
}

// PipelineText writes a pipeline as "test → production".
func PipelineText(stages []string) string { return strings.Join(stages, " → ") }

// Stage is what a release records of one stage before production: its
// planned date (zero: none of its own) and when it was reached (zero:
// not yet) and by whom (a user ID, or a connector's name).
type Stage struct {
	Name    string `json:"name"`
	Planned Date   `json:"planned,omitzero"`
	Reached Date   `json:"reached,omitzero"`
	By      string `json:"by,omitempty"`
}

// StageList returns r's stages before production, in pipeline order. The
// slice may be shared: callers must not modify it.
func (r *Release) StageList() []Stage {
	if r.Stages == nil {
		return defaultStages
	}
	return r.Stages
}

// Pipeline returns the names of r's stages, production last.
func (r *Release) Pipeline() []string {
	st := r.StageList()
	out := make([]string, 0, len(st)+1)
	for _, s := range st {
		out = append(out, s.Name)
	}
	return append(out, Production)
}

func (r *Release) stageIndex(name string) int {
	for i, s := range r.StageList() {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// StageOf returns what r records of stage name (before production).
func (r *Release) StageOf(name string) (Stage, bool) {
	if i := r.stageIndex(name); i >= 0 {
		return r.StageList()[i], true
	}
	return Stage{}, false
}

// HasStage reports whether name is one of r's stages (production always is).
func (r *Release) HasStage(name string) bool { return name == Production || r.stageIndex(name) >= 0 }

// PlannedFor returns the date stage name is planned on: its own planned
// date, else that of the next later stage that has one, else the target.
// Production (and a stage r does not have) is the target.
func (r *Release) PlannedFor(name string) Date {
	st := r.StageList()
	i := r.stageIndex(name)
	if i < 0 {
		return r.Target
	}
	for _, s := range st[i:] {
		if !s.Planned.IsZero() {
			return s.Planned
		}
	}
	return r.Target
}

// StageDate returns the date r is (or was) in stage name: the day it
// reached it, else the day it is planned to (PlannedFor); reached says
// which. A shipped release has reached every stage (on its ship date, for
// one it did not record, such as a release shipped before stages existed).
// Production and a stage r does not have are r's own date (Date).
func (r *Release) StageDate(name string) (d Date, reached bool) {
	if name == "" || name == Production { // most edges: no stage to look up
		return r.Date(), r.Status == Shipped
	}
	i := r.stageIndex(name)
	if i < 0 {
		return r.Date(), r.Status == Shipped
	}
	if s := r.StageList()[i]; !s.Reached.IsZero() {
		return s.Reached, true
	}
	if r.Status == Shipped {
		return r.Date(), true
	}
	return r.PlannedFor(name), false
}

// NextStage returns the first stage r has not reached, with the date it
// is planned on: production and the target once every earlier stage is
// reached. ok is false for a release that is not planned.
func (r *Release) NextStage() (name string, planned Date, ok bool) {
	if r.Status != Planned {
		return "", Date{}, false
	}
	st := r.StageList()
	for i := len(st) - 1; i >= 0; i-- {
		if !st[i].Reached.IsZero() {
			if i+1 < len(st) {
				return st[i+1].Name, r.PlannedFor(st[i+1].Name), true
			}
			return Production, r.Target, true
		}
	}
	if len(st) > 0 {
		return st[0].Name, r.PlannedFor(st[0].Name), true
	}
	return Production, r.Target, true
}

// CurrentStage returns the last stage before production r reached, or
// "" for none.
func (r *Release) CurrentStage() string {
	st := r.StageList()
	for i := len(st) - 1; i >= 0; i-- {
		if !st[i].Reached.IsZero() {
			return st[i].Name
		}
	}
	return ""
}

// ownStages returns r.Stages, materializing the default ones, so that they
// can be changed.
func (r *Release) ownStages() []Stage {
	if r.Stages == nil {
		r.Stages = slices.Clone(defaultStages)
	}
	return r.Stages
}

// unknownStage is the error for a stage r's pipeline lacks.
func unknownStage(r *Release, name string) error {
	return Errorf(EInvalid, "%s has no stage %q: its pipeline is %s", r.Ref, clip(name, 40), PipelineText(r.Pipeline()))
}

// CheckStage returns an EInvalid *Error listing r's pipeline unless name
// is one of its stages.
func (r *Release) CheckStage(name string) error {
	if !r.HasStage(name) {
		return unknownStage(r, name)
	}
	return nil
}

// PlanStage sets the planned date of stage name (before production) to
// on. Planned dates never decrease along the pipeline: a date after a
// later stage's planned date or the target, or before an earlier stage's,
// is an EInvalid *Error; so is a stage r already reached. It returns the
// date the stage was planned on before (PlannedFor).
func (r *Release) PlanStage(name string, on Date) (old Date, err error) {
	if name == Production {
		return Date{}, Errorf(EInvalid, "production is %s's target: change it with /release move", r.Ref)
	}
	i := r.stageIndex(name)
	if i < 0 {
		return Date{}, unknownStage(r, name)
	}
	st := r.StageList()
	if !st[i].Reached.IsZero() {
		return Date{}, Errorf(EConflict, "%s already reached %s on %s", r.Ref, name, st[i].Reached.Pretty())
	}
	for _, s := range st[i+1:] {
		if !s.Planned.IsZero() && on.After(s.Planned) {
			return Date{}, Errorf(EInvalid, "%s is after %s's %s date, %s: a stage can't be planned after a later one", on.Pretty(), r.Ref, s.Name, s.Planned.Pretty())
		}
	}
	if on.After(r.Target) {
		return Date{}, Errorf(EInvalid, "%s is after %s's target, %s: a stage can't be planned after production", on.Pretty(), r.Ref, r.Target.Pretty())
	}
	for _, s := range st[:i] {
		if !s.Planned.IsZero() && on.Before(s.Planned) {
			return Date{}, Errorf(EInvalid, "%s is before %s's %s date, %s: a stage can't be planned before an earlier one", on.Pretty(), r.Ref, s.Name, s.Planned.Pretty())
		}
	}
	old = r.PlannedFor(name)
	r.ownStages()[i].Planned = on
	return old, nil
}

// Promote records that r reached stage name (before production) on the
// given day, reported by by, and with it every earlier stage not yet
// reached, whose names it returns in pipeline order. Promoting to a
// stage already reached, or behind one reached, is an EConflict *Error;
// an unknown stage an EInvalid one listing the pipeline. Production is
// shipping, not Promote's.
func (r *Release) Promote(name string, on Date, by string) (skipped []string, err error) {
	i := r.stageIndex(name)
	if i < 0 {
		return nil, unknownStage(r, name)
	}
	st := r.StageList()
	for _, s := range st[i+1:] {
		if !s.Reached.IsZero() {
			return nil, Errorf(EConflict, "%s already reached %s, which comes after %s: stages are reached in order (%s), never backwards", r.Ref, s.Name, name, PipelineText(r.Pipeline()))
		}
	}
	if !st[i].Reached.IsZero() {
		return nil, Errorf(EConflict, "%s already reached %s on %s", r.Ref, name, st[i].Reached.Pretty())
	}
	own := r.ownStages()
	for j := range own[:i] {
		if own[j].Reached.IsZero() {
			own[j].Reached, own[j].By = on, by
			skipped = append(skipped, own[j].Name)
		}
	}
	own[i].Reached, own[i].By = on, by
	return skipped, nil
}

// ReachAll records every stage before production not yet reached as
// reached on the given day, by by (shipping reaches them all), and returns
// their names.
func (r *Release) ReachAll(on Date, by string) []string {
	var out []string
	own := r.ownStages()
	for j := range own {
		if own[j].Reached.IsZero() {
			own[j].Reached, own[j].By = on, by
			out = append(out, own[j].Name)
		}
	}
	return out
}

// SetPipeline gives r the stages of pipeline (production last), keeping
// what it recorded of the stages both have, and the stages it reached that
// the pipeline drops (first, in their order: they are behind it). It
// reports whether anything changed.
func (r *Release) SetPipeline(pipeline []string) bool {
	old := r.StageList()
	var out []Stage
	for _, s := range old {
		if !s.Reached.IsZero() && !slices.Contains(pipeline, s.Name) {
			out = append(out, s)
		}
	}
	for _, name := range pipeline {
		if name == Production {
			continue
		}
		s := Stage{Name: name}
		if i := r.stageIndex(name); i >= 0 {
			s = old[i]
		}
		out = append(out, s)
	}
	if slices.Equal(out, old) {
		return false
	}
	if slices.Equal(out, defaultStages) {
		out = nil
	}
	r.Stages = out
	return true
}

// StagesFor returns the stages a new release of a product with pipeline
// starts with: nil for the default pipeline.
func StagesFor(pipeline []string) []Stage {
	if slices.Equal(pipeline, defaultPipeline) {
		return nil
	}
	out := make([]Stage, 0, len(pipeline)-1)
	for _, name := range pipeline {
		if name != Production {
			out = append(out, Stage{Name: name})
		}
	}
	return out
}
