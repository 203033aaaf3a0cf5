package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"relman/commands"
	"relman/store"
)

// stagePlan is one stage date the add-release form asks for.
type stagePlan struct {
	stage string
	on    store.Date
}

// formStages reads the add-release form's stage dates ("test 2027-01-10,
// staging 2027-01-17"; commas or new lines between them) and checks them,
// before anything is saved, against the pipeline of the product as a new
// release of it would have, its target and today: the message returned
// (else "") goes under the Stage dates field, naming the pipeline when a
// stage is not in it. user, who submits, must be allowed to plan the
// stages of a release owned by owner, as the stage command requires.
func (s *Slack) formStages(ctx context.Context, user, owner string, ref store.Ref, target, today store.Date, text string) ([]stagePlan, string) {
	if text == "" {
		return nil, ""
	}
	var p *store.Product
	err := s.Dispatcher.Service.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		p, err = tx.Product(ref.Product)
		if store.ErrorCode(err) == store.ENotFound {
			p, err = nil, nil
		}
		return err
	})
	if err != nil {
		return nil, "⚠ " + store.ErrorMessage(err)
	}
	trial := &store.Release{Ref: ref, Target: target, Status: store.Planned, Owner: owner}
	trial.Stages = store.StagesFor(store.PipelineOf(p))
	var plans []stagePlan
	for _, item := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '\n' || r == ';' }) {
		words := strings.Fields(item)
		if len(words) == 0 {
			continue
		}
		if len(words) != 2 {
			return nil, fmt.Sprintf("Write each stage and its date, like test 2027-01-10, staging 2027-01-17; %q is not.", clipRunes(strings.TrimSpace(item), 40))
		}
		name, err := store.NormalizeStage(words[0])
		if err != nil {
			return nil, store.ErrorMessage(err)
		}
		on, err := store.ParseDate(words[1])
		if err != nil {
			return nil, fmt.Sprintf("%q is not a date for %s: write it as YYYY-MM-DD.", clipRunes(words[1], 20), name)
		}
		if on.Before(today) {
			return nil, fmt.Sprintf("%s's date, %s, is in the past; pick today (%s) or later.", name, on.Pretty(), today.Pretty())
		}
		if _, err := trial.PlanStage(name, on); err != nil {
			return nil, store.ErrorMessage(err)
		}
		plans = append(plans, stagePlan{stage: name, on: on})
	}
	if !trial.CanManage(user, p, slices.Contains(s.Dispatcher.Service.Admins, user)) {
		return nil, fmt.Sprintf("Only %s's owner, a release manager of %s or an admin can plan its stages: leave this empty, or make yourself the owner.", ref, ref.Product)
	}
	return plans, ""
}

// clipRunes cuts s to n runes, marking the cut with "…".
func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// planStages runs a stage command for each plan of a release the form has
// just added, as a person would type them. It returns the first failed
// reply (the release is saved; the stages before it are planned).
func (s *Slack) planStages(ctx context.Context, req commands.Request, ref store.Ref, plans []stagePlan) (commands.Reply, bool) {
	for _, p := range plans {
		req.Text = commands.Format(commands.PlanStage(ref, p.stage, p.on))
		if reply := s.Dispatcher.Command(ctx, req); !reply.OK() {
			return reply, false
		}
	}
	return commands.Reply{}, true
}
