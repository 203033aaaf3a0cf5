package store_test

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"slices"
	"testing"

	"relman/store"
	"relman/store/boltdb"
	"relman/store/postgres"
	"relman/store/postgres/pgtest"
)

// staged returns a planned release going build → test → staging →
// production, target Mon 2027-02-15, with the planned dates given (""
// for none).
func staged(tb testing.TB, build, test, staging string) store.Release {
	tb.Helper()
	r := MustRelease(tb, "payments@4.2.0", "2027-02-15")
	r.SetPipeline([]string{"build", "test", "staging", store.Production})
	for name, d := range map[string]string{"build": build, "test": test, "staging": staging} {
		if d == "" {
			continue
		}
		if _, err := r.PlanStage(name, MustDate(tb, d)); err != nil {
			tb.Fatalf("PlanStage(%s, %s) = %v", name, d, err)
		}
	}
	return r
}

func TestValidatePipeline(t *testing.T) {
	tests := []struct {
		name   string
		stages []string
		ok     bool
	}{
		{"Default", []string{"test", "production"}, true},
		{"ProductionAlone", []string{"production"}, true},
		{"Long", []string{"build", "test", "staging", "production"}, true},
		{"RejectsEmpty", nil, false},
		{"RejectsNoProduction", []string{"build", "test"}, false},
		{"RejectsProductionNotLast", []string{"production", "test"}, false},
		{"RejectsRepeatedStage", []string{"test", "staging", "test", "production"}, false},
		{"RejectsProductionTwice", []string{"production", "production"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := store.ValidatePipeline(tt.stages)
			if (err == nil) != tt.ok || err != nil && store.ErrorCode(err) != store.EInvalid {
				t.Errorf("ValidatePipeline(%q) = %v; want ok %v (else EInvalid)", tt.stages, err, tt.ok)
			}
		})
	}
}

// A stage without a planned date counts as planned on the next later
// stage that has one, the target at the end.
func TestPlannedForCountsOnTheNextLaterStage(t *testing.T) {
	r := staged(t, "", "2027-01-18", "")
	for stage, want := range map[string]string{"build": "2027-01-18", "test": "2027-01-18", "staging": "2027-02-15", "production": "2027-02-15", "nosuch": "2027-02-15"} {
		if got := r.PlannedFor(stage); got != MustDate(t, want) {
			t.Errorf("PlannedFor(%s) = %s; want %s", stage, got, want)
		}
	}
}

func TestPlanStageKeepsDatesInOrder(t *testing.T) {
	tests := []struct {
		name, stage, on string
		code            string
	}{
		{"Plans", "test", "2027-01-20", ""},
		{"OnTheLaterStagesDay", "test", "2027-02-01", ""},
		{"RejectsAfterALaterStage", "test", "2027-02-02", store.EInvalid},
		{"RejectsAfterTheTarget", "staging", "2027-02-16", store.EInvalid},
		{"RejectsBeforeAnEarlierStage", "test", "2027-01-10", store.EInvalid},
		{"RejectsProduction", "production", "2027-02-01", store.EInvalid},
		{"RejectsUnknownStage", "qa", "2027-02-01", store.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := staged(t, "2027-01-11", "", "2027-02-01")
			before := slices.Clone(r.Stages)
			old, err := r.PlanStage(tt.stage, MustDate(t, tt.on))
			if store.ErrorCode(err) != tt.code {
				t.Fatalf("PlanStage(%s, %s) = %v; want code %q", tt.stage, tt.on, err, tt.code)
			}
			if err != nil {
				if !slices.Equal(r.Stages, before) {
					t.Errorf("a refused PlanStage changed the stages: %+v; were %+v", r.Stages, before)
				}
				return
			}
			if old != MustDate(t, "2027-02-01") { // test counted on staging
				t.Errorf("PlanStage returned the old date %s; want 2027-02-01", old)
			}
			if got := r.PlannedFor(tt.stage); got != MustDate(t, tt.on) {
				t.Errorf("PlannedFor(%s) = %s; want %s", tt.stage, got, tt.on)
			}
		})
	}
}

func TestPromoteInOrder(t *testing.T) {
	r := staged(t, "", "", "")
	skipped, err := r.Promote("staging", MustDate(t, "2027-01-20"), "UENG")
	if err != nil || !slices.Equal(skipped, []string{"build", "test"}) {
		t.Fatalf("Promote(staging) = %q, %v; want [build test], nil", skipped, err)
	}
	for _, s := range []string{"build", "test", "staging"} {
		if d, reached := r.StageDate(s); !reached || d != MustDate(t, "2027-01-20") {
			t.Errorf("StageDate(%s) = %s, %v; want 2027-01-20, reached", s, d, reached)
		}
	}
	if got := r.CurrentStage(); got != "staging" {
		t.Errorf("CurrentStage() = %q; want staging", got)
	}
	if name, _, _ := r.NextStage(); name != store.Production {
		t.Errorf("NextStage() = %q; want production", name)
	}
	if _, err := r.Promote("test", MustDate(t, "2027-01-21"), "UENG"); store.ErrorCode(err) != store.EConflict {
		t.Errorf("Promote(test) after staging = %v; want a conflict (backwards)", err)
	}
	if _, err := r.Promote("staging", MustDate(t, "2027-01-21"), "UENG"); store.ErrorCode(err) != store.EConflict {
		t.Errorf("Promote(staging) again = %v; want a conflict", err)
	}
	if _, err := r.Promote("qa", MustDate(t, "2027-01-21"), "UENG"); store.ErrorCode(err) != store.EInvalid {
		t.Errorf("Promote(qa) = %v; want invalid (not in the pipeline)", err)
	}
}

// Changing a pipeline keeps what a release recorded of the stages both
// have, and the stages it reached that the new one drops.
func TestSetPipelineKeepsReachedStages(t *testing.T) {
	r := staged(t, "2027-01-11", "2027-01-18", "")
	if _, err := r.Promote("build", MustDate(t, "2027-01-11"), "UENG"); err != nil {
		t.Fatal(err)
	}
	if !r.SetPipeline([]string{"test", "qa", store.Production}) {
		t.Fatal("SetPipeline reported no change")
	}
	want := []string{"build", "test", "qa", store.Production}
	if got := r.Pipeline(); !slices.Equal(got, want) {
		t.Errorf("Pipeline() = %q; want %q", got, want)
	}
	if _, reached := r.StageDate("build"); !reached {
		t.Error("the reached stage build was dropped")
	}
	if got := r.PlannedFor("test"); got != MustDate(t, "2027-01-18") {
		t.Errorf("PlannedFor(test) = %s; want its date kept, 2027-01-18", got)
	}
	if r.SetPipeline([]string{"test", "qa", store.Production}) {
		t.Error("setting the same pipeline again reported a change")
	}
}

// An edge in a stage is the one edge function's: compared with the
// provider's date for the stage, delivered when it is reached.
func TestEdgeInAStage(t *testing.T) {
	today := MustDate(t, "2027-01-12")
	p := staged(t, "", "2027-01-18", "")
	c := MustRelease(t, "checkout@3.1", "2027-02-26")
	d := store.Dependency{Consumer: c.Ref, Provider: p.Ref, Stage: "test", NeededBy: MustDate(t, "2027-01-20")}
	edge := func(p store.Release) store.Edge {
		t.Helper()
		e, ok := store.NewGraph([]store.Release{c, p}, nil, []store.Dependency{d}).EdgeState(d, today)
		if !ok {
			t.Fatal("EdgeState: edge not found")
		}
		return e
	}
	if e := edge(p); e.Kind != store.OnTrack || e.Slack != 2 || e.ProviderDate != MustDate(t, "2027-01-18") {
		t.Errorf("test planned 01-18, needed 01-20: %v, slack %d, provider date %s; want on track, 2, 2027-01-18", e.Kind, e.Slack, e.ProviderDate)
	}
	late := p
	late.Stages = slices.Clone(p.Stages)
	if _, err := late.PlanStage("test", MustDate(t, "2027-01-22")); err != nil {
		t.Fatal(err)
	}
	if e := edge(late); e.Kind != store.Late || e.DaysLate() != 2 {
		t.Errorf("test planned 01-22, needed 01-20: %v, %d days late; want late, 2", e.Kind, e.DaysLate())
	}
	reached := p
	reached.Stages = slices.Clone(p.Stages)
	if _, err := reached.Promote("test", today, "UENG"); err != nil {
		t.Fatal(err)
	}
	if e := edge(reached); e.Kind != store.Delivered || e.ProviderDate != today {
		t.Errorf("test reached %s: %v on %s; want delivered that day", today, e.Kind, e.ProviderDate)
	}
	// The same edge without a stage waits for the target.
	d.Stage = ""
	if e := edge(p); e.Kind != store.Late || e.ProviderDate != p.Target {
		t.Errorf("without a stage: %v, provider date %s; want late, the target %s", e.Kind, e.ProviderDate, p.Target)
	}
}

// testUpgradeFromSchema7 writes records as relman wrote them at schema 7
// (no pipeline, no stages, no dependency stage) into kv, opens the store,
// and checks they read as the default pipeline, a shipped release having
// reached every stage, and that stages can then be planned and reached.
func testUpgradeFromSchema7(t *testing.T, kv store.KV) {
	ctx := context.Background()
	tx, err := kv.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range schema7Buckets {
		if err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	put := func(bucket, key, v string) {
		if err := tx.Bucket([]byte(bucket)).Put([]byte(key), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	put("meta", "schema", string(binary.BigEndian.AppendUint32(nil, 7)))
	put("products", "payments", `{"name":"payments","roles":{},"created_at":"2026-12-01T09:00:00Z","created_by":"UALICE"}`)
	put("releases", "payments@4.1.0", `{"product":"payments","version":"4.1.0","target":"2026-12-10","owner":"UALICE","status":"shipped","shipped_on":"2026-12-09","created_at":"2026-12-01T09:00:00Z","created_by":"UALICE"}`)
	put("releases", "payments@4.2.0", `{"product":"payments","version":"4.2.0","target":"2027-02-15","owner":"UALICE","status":"planned","created_at":"2026-12-01T09:00:00Z","created_by":"UALICE"}`)
	put("releases", "checkout@3.1", `{"product":"checkout","version":"3.1","target":"2027-02-26","owner":"UALICE","status":"planned","created_at":"2026-12-01T09:00:00Z","created_by":"UALICE"}`)
	put("dependencies", "checkout@3.1 payments@4.1.0", `{"consumer":{"product":"checkout","version":"3.1"},"provider":{"product":"payments","version":"4.1.0"},"created_at":"2026-12-01T09:00:00Z","created_by":"UALICE"}`)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	s, err := store.New(ctx, kv, "schema7")
	if err != nil {
		t.Fatalf("New() of a schema 7 database = %v", err)
	}
	if v, err := store.CheckSchema(ctx, kv); v != store.SchemaVersion || err != nil {
		t.Errorf("CheckSchema after the upgrade = %d, %v; want %d, nil", v, err, store.SchemaVersion)
	}
	today := MustDate(t, "2027-01-04")
	MustView(t, s, func(tx *store.Tx) error {
		p, err := tx.Product("payments")
		if err != nil {
			return err
		}
		if got := store.PipelineOf(p); !slices.Equal(got, []string{"test", store.Production}) {
			t.Errorf("PipelineOf(payments) = %q; want the default", got)
		}
		old, err := tx.Release(MustRef(t, "payments@4.1.0"))
		if err != nil {
			return err
		}
		if d, reached := old.StageDate("test"); !reached || d != MustDate(t, "2026-12-09") {
			t.Errorf("a release shipped before stages: StageDate(test) = %s, %v; want its ship date, reached", d, reached)
		}
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		for _, d := range g.Dependencies(MustRef(t, "checkout@3.1")) {
			if e, _ := g.EdgeState(d, today); e.Kind != store.Delivered || e.Stage != "" {
				t.Errorf("the old edge %s reads %v in stage %q; want delivered, no stage", d.Key(), e.Kind, e.Stage)
			}
		}
		return nil
	})
	MustUpdate(t, s, "UALICE", t0, func(tx *store.Tx) error {
		r, err := tx.Release(MustRef(t, "payments@4.2.0"))
		if err != nil {
			return err
		}
		if _, err := r.Promote("test", today, "UALICE"); err != nil {
			return err
		}
		if err := tx.PutRelease("release.promote", r); err != nil {
			return err
		}
		return tx.PutDependency("dependency.put", &store.Dependency{Consumer: MustRef(t, "checkout@3.1"), Provider: r.Ref, Stage: "test", CreatedAt: t0, CreatedBy: "UALICE"})
	})
	MustView(t, s, func(tx *store.Tx) error {
		g, err := tx.Graph()
		if err != nil {
			return err
		}
		d, err := tx.Dependency(MustRef(t, "checkout@3.1"), "payments@4.2.0")
		if err != nil {
			return err
		}
		if e, _ := g.EdgeState(*d, today); e.Kind != store.Delivered {
			t.Errorf("checkout@3.1 needs payments@4.2.0 in test, reached: %v; want delivered", e.Kind)
		}
		return nil
	})
}

func TestUpgradeFromSchema7(t *testing.T) {
	t.Run("bbolt", func(t *testing.T) {
		kv, err := boltdb.OpenKV(filepath.Join(t.TempDir(), "relman.db"), boltdb.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer kv.Close()
		testUpgradeFromSchema7(t, kv)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		kv, err := postgres.OpenKV(context.Background(), pgtest.MustDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		defer kv.Close()
		testUpgradeFromSchema7(t, kv)
	})
}
