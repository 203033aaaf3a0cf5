package bot

import (
	"strings"
	"testing"

	"relman/bot/blockkit"
	"relman/store"
)

func TestAddFormStageDates(t *testing.T) {
	t.Run("AddsTheReleaseWithItsStageDates", func(t *testing.T) {
		f := MustHTTPFixture(t)
		form := httpGoodForm()
		form.Owner = "U1234567" // the submitter: the owner may plan the stages
		form.Stages = "test 2027-01-10"
		res := f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, form))
		if res.Body != "" {
			t.Fatalf("submission = %q; want an empty 200", res.Body)
		}
		f.Slack.Wait()
		r := f.MustRelease(t, "payments@2.3.0")
		s, _ := r.StageOf("test")
		want, err := store.ParseDate("2027-01-10")
		if err != nil {
			t.Fatal(err)
		}
		if s.Planned != want {
			t.Errorf("test planned %v; want %v", s.Planned, want)
		}
	})

	t.Run("UnknownStageNamesThePipelineAndSavesNothing", func(t *testing.T) {
		f := MustHTTPFixture(t)
		before := f.MustState(t)
		form := httpGoodForm()
		form.Stages = "test 2027-01-08, staging 2027-01-10"
		fe := mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, form)))
		msg, ok := fe.Errors[blockkit.BlockStages]
		if !ok || len(fe.Errors) != 1 {
			t.Fatalf("errors = %v; want one on %q", fe.Errors, blockkit.BlockStages)
		}
		if !strings.Contains(msg, `"staging"`) || !strings.Contains(msg, "test → production") {
			t.Errorf("error = %q; want it to name staging and the pipeline test → production", msg)
		}
		f.Slack.Wait()
		if after := f.MustState(t); after != before {
			t.Errorf("store changed: %+v -> %+v", before, after)
		}
	})

	t.Run("StageAfterTheTargetSavesNothing", func(t *testing.T) {
		f := MustHTTPFixture(t)
		before := f.MustState(t)
		form := httpGoodForm()
		form.Stages = "test 2027-02-01"
		fe := mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, form)))
		if msg := fe.Errors[blockkit.BlockStages]; !strings.Contains(msg, "after payments@2.3.0's target") {
			t.Errorf("errors = %v; want the stage after the target under %q", fe.Errors, blockkit.BlockStages)
		}
		f.Slack.Wait()
		if after := f.MustState(t); after != before {
			t.Errorf("store changed: %+v -> %+v", before, after)
		}
	})
	t.Run("SomeoneWhoMayNotPlanStagesSavesNothing", func(t *testing.T) {
		f := MustHTTPFixture(t)
		before := f.MustState(t)
		form := httpGoodForm() // owned by U777, submitted by U1234567
		form.Stages = "test 2027-01-10"
		fe := mustHTTPFieldErrors(t, f.MustPost(t, "/slack/interactions", httpFormType, httpSubmission(t, form)))
		if msg := fe.Errors[blockkit.BlockStages]; !strings.Contains(msg, "can plan its stages") {
			t.Errorf("errors = %v; want a refusal under %q", fe.Errors, blockkit.BlockStages)
		}
		f.Slack.Wait()
		if after := f.MustState(t); after != before {
			t.Errorf("store changed: %+v -> %+v", before, after)
		}
	})
}
