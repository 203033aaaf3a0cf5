package store_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

// MustRef parses product@version or fails the test.
func MustRef(tb testing.TB, s string) store.Ref {
	tb.Helper()
	r, err := store.ParseRef(s)
	if err != nil {
		tb.Fatalf("ParseRef(%q) = %v", s, err)
	}
	return r
}

// MustRelease returns a planned release ref with the given target date.
func MustRelease(tb testing.TB, ref, target string) store.Release {
	tb.Helper()
	return store.Release{Ref: MustRef(tb, ref), Target: MustDate(tb, target), Owner: "U" + strings.ToUpper(ref), Status: store.Planned}
}

// MustShipped returns a release that shipped on the given date.
func MustShipped(tb testing.TB, ref, target, on string) store.Release {
	tb.Helper()
	r := MustRelease(tb, ref, target)
	r.Status = store.Shipped
	if on != "" {
		r.ShippedOn = MustDate(tb, on)
	}
	return r
}

// MustCancelled returns a cancelled release.
func MustCancelled(tb testing.TB, ref, target string) store.Release {
	tb.Helper()
	r := MustRelease(tb, ref, target)
	r.Status = store.Cancelled
	return r
}

// MustExternal returns an external item due on the given date.
func MustExternal(tb testing.TB, name, due string) store.External {
	tb.Helper()
	return store.External{Name: name, Due: MustDate(tb, due), Owner: "UVENDOR"}
}

// MustDep returns the edge consumer → provider. A provider written
// "ext:Name" is the external item Name. neededBy may be "" (the consumer's
// target).
func MustDep(tb testing.TB, consumer, provider, neededBy string) store.Dependency {
	tb.Helper()
	d := store.Dependency{Consumer: MustRef(tb, consumer)}
	if name, ok := strings.CutPrefix(provider, "ext:"); ok {
		d.External = store.ExternalKey(name)
	} else {
		d.Provider = MustRef(tb, provider)
	}
	if neededBy != "" {
		d.NeededBy = MustDate(tb, neededBy)
	}
	return d
}

// edgeView is the part of an Edge a test states, with dates as strings so
// that diffs read well.
type edgeView struct {
	NeededBy, ProviderDate, ProviderName string
	Slack, DaysLate                      int
	Kind                                 store.EdgeKind
	Slipped, Overdue, Cancelled          bool
	Delivered                            bool
}

func viewEdge(e store.Edge) edgeView {
	return edgeView{
		NeededBy: e.NeededBy.String(), ProviderDate: e.ProviderDate.String(), ProviderName: e.ProviderName,
		Slack: e.Slack, DaysLate: e.DaysLate(), Kind: e.Kind,
		Slipped: e.Slipped, Overdue: e.Overdue, Cancelled: e.Cancelled, Delivered: e.Delivered,
	}
}

func TestGraphEdgeState(t *testing.T) {
	const today = "2027-03-01"
	tests := []struct {
		name      string
		releases  []store.Release
		externals []store.External
		dep       store.Dependency
		want      edgeView
	}{
		{
			name: "HasSlackWhenProviderIsEarly",
			releases: []store.Release{
				MustRelease(t, "app@1.0", "2027-04-01"),
				MustRelease(t, "lib@2.0", "2027-03-20"),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", ""),
			want: edgeView{NeededBy: "2027-04-01", ProviderDate: "2027-03-20", ProviderName: "lib@2.0", Slack: 12},
		},
		{
			name: "NeededByDefaultsToConsumerTarget",
			releases: []store.Release{
				MustRelease(t, "app@1.0", "2027-03-15"),
				MustRelease(t, "lib@2.0", "2027-03-20"),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", ""),
			want: edgeView{NeededBy: "2027-03-15", ProviderDate: "2027-03-20", ProviderName: "lib@2.0", Slack: -5, DaysLate: 5, Kind: store.Late, Slipped: true},
		},
		{
			name: "ExplicitNeededByOverridesTarget",
			releases: []store.Release{
				MustRelease(t, "app@1.0", "2027-04-01"),
				MustRelease(t, "lib@2.0", "2027-03-20"),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", "2027-03-10"),
			want: edgeView{NeededBy: "2027-03-10", ProviderDate: "2027-03-20", ProviderName: "lib@2.0", Slack: -10, DaysLate: 10, Kind: store.Late, Slipped: true},
		},
		{
			name: "OnTimeWhenProviderDateIsNeededBy",
			releases: []store.Release{
				MustRelease(t, "app@1.0", "2027-04-01"),
				MustRelease(t, "lib@2.0", "2027-04-01"),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", ""),
			want: edgeView{NeededBy: "2027-04-01", ProviderDate: "2027-04-01", ProviderName: "lib@2.0"},
		},
		{
			name: "OverdueWhenNeededByPassedAndProviderNotShipped",
			releases: []store.Release{
				MustRelease(t, "app@1.0", "2027-04-01"),
				MustRelease(t, "lib@2.0", "2027-02-15"),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", "2027-02-20"),
			want: edgeView{NeededBy: "2027-02-20", ProviderDate: "2027-02-15", ProviderName: "lib@2.0", Slack: -9, DaysLate: 9, Kind: store.Overdue, Slipped: true, Overdue: true},
		},
		{
			// An overdue provider has no days to spare it does not have:
			// it cannot ship before today.
			name: "NotOverdueOnTheNeededByDayItself",
			releases: []store.Release{
				MustRelease(t, "app@1.0", "2027-04-01"),
				MustRelease(t, "lib@2.0", "2027-02-15"),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", today),
			want: edgeView{NeededBy: today, ProviderDate: "2027-02-15", ProviderName: "lib@2.0", Slack: 0},
		},
		{
			// Once the needed-by date has passed, the edge is overdue
			// whatever the provider's target says: it was needed and is
			// not there.
			name: "OverdueTakesPrecedenceOverLate",
			releases: []store.Release{
				MustRelease(t, "app@1.0", "2027-04-01"),
				MustRelease(t, "lib@2.0", "2027-03-10"),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", "2027-02-20"),
			want: edgeView{NeededBy: "2027-02-20", ProviderDate: "2027-03-10", ProviderName: "lib@2.0", Slack: -18, DaysLate: 18, Kind: store.Overdue, Slipped: true, Overdue: true},
		},
		{
			name: "OverdueProviderHasOnlyTheDaysUntilNeededBy",
			releases: []store.Release{
				MustRelease(t, "app@1.0", "2027-04-01"),
				MustRelease(t, "lib@2.0", "2027-02-15"),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", "2027-03-03"),
			want: edgeView{NeededBy: "2027-03-03", ProviderDate: "2027-02-15", ProviderName: "lib@2.0", Slack: 2},
		},
		{
			name: "CancelledProviderSlips",
			releases: []store.Release{
				MustRelease(t, "app@1.0", "2027-04-01"),
				MustCancelled(t, "lib@2.0", "2027-03-20"),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", ""),
			want: edgeView{NeededBy: "2027-04-01", ProviderDate: "2027-03-20", ProviderName: "lib@2.0", Slack: 12, Kind: store.ProviderCancelled, Slipped: true, Cancelled: true},
		},
		{
			name: "ShippedProviderIsFineEvenAfterNeededBy",
			releases: []store.Release{
				MustRelease(t, "app@1.0", "2027-04-01"),
				MustShipped(t, "lib@2.0", "2027-02-10", "2027-02-25"),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", "2027-02-20"),
			want: edgeView{NeededBy: "2027-02-20", ProviderDate: "2027-02-25", ProviderName: "lib@2.0", Slack: -5, DaysLate: 5, Kind: store.Delivered, Delivered: true},
		},
		{
			name: "ShippedProviderWithoutShipDateUsesTarget",
			releases: []store.Release{
				MustRelease(t, "app@1.0", "2027-04-01"),
				MustShipped(t, "lib@2.0", "2027-02-10", ""),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", ""),
			want: edgeView{NeededBy: "2027-04-01", ProviderDate: "2027-02-10", ProviderName: "lib@2.0", Slack: 50, Kind: store.Delivered, Delivered: true},
		},
		{
			name: "ShippedConsumerNeverSlips",
			releases: []store.Release{
				MustShipped(t, "app@1.0", "2027-02-01", "2027-02-01"),
				MustRelease(t, "lib@2.0", "2027-03-20"),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", ""),
			want: edgeView{NeededBy: "2027-02-01", ProviderDate: "2027-03-20", ProviderName: "lib@2.0", Slack: -47, DaysLate: 47, Kind: store.NotNeeded},
		},
		{
			name: "CancelledConsumerNeverSlips",
			releases: []store.Release{
				MustCancelled(t, "app@1.0", "2027-02-01"),
				MustCancelled(t, "lib@2.0", "2027-03-20"),
			},
			dep:  MustDep(t, "app@1.0", "lib@2.0", ""),
			want: edgeView{NeededBy: "2027-02-01", ProviderDate: "2027-03-20", ProviderName: "lib@2.0", Slack: -47, DaysLate: 47, Kind: store.NotNeeded, Cancelled: true},
		},
		{
			name:      "ExternalDueAfterNeededByIsLate",
			releases:  []store.Release{MustRelease(t, "app@1.0", "2027-04-01")},
			externals: []store.External{MustExternal(t, "Stripe SDK 5", "2027-04-03")},
			dep:       MustDep(t, "app@1.0", "ext:Stripe SDK 5", ""),
			want:      edgeView{NeededBy: "2027-04-01", ProviderDate: "2027-04-03", ProviderName: "Stripe SDK 5", Slack: -2, DaysLate: 2, Kind: store.Late, Slipped: true},
		},
		{
			name:      "ExternalIsDeliveredOnItsDueDate",
			releases:  []store.Release{MustRelease(t, "app@1.0", "2027-04-01")},
			externals: []store.External{MustExternal(t, "Stripe SDK 5", "2027-02-01")},
			dep:       MustDep(t, "app@1.0", "ext:Stripe SDK 5", "2027-02-10"),
			want:      edgeView{NeededBy: "2027-02-10", ProviderDate: "2027-02-01", ProviderName: "Stripe SDK 5", Slack: 9, Kind: store.Delivered, Delivered: true},
		},
		{
			// Like a release shipped late: once its due date has come,
			// the item counts as delivered, late or not.
			name:      "ExternalPastItsDueDateIsDeliveredLate",
			releases:  []store.Release{MustRelease(t, "app@1.0", "2027-04-01")},
			externals: []store.External{MustExternal(t, "Partner API", "2027-02-15")},
			dep:       MustDep(t, "app@1.0", "ext:partner   api", "2027-02-10"),
			want:      edgeView{NeededBy: "2027-02-10", ProviderDate: "2027-02-15", ProviderName: "Partner API", Slack: -5, DaysLate: 5, Kind: store.Delivered, Delivered: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := store.NewGraph(tt.releases, tt.externals, []store.Dependency{tt.dep})
			e, ok := g.EdgeState(tt.dep, MustDate(t, today))
			if !ok {
				t.Fatalf("EdgeState(%s, %s) ok = false; want true", tt.dep.Key(), today)
			}
			if e.Dependency.Key() != tt.dep.Key() {
				t.Errorf("EdgeState(%s, %s).Dependency = %s; want the edge asked about", tt.dep.Key(), today, e.Dependency.Key())
			}
			if diff := cmp.Diff(tt.want, viewEdge(e)); diff != "" {
				t.Errorf("EdgeState(%s, %s) mismatch (-want +got):\n%s", tt.dep.Key(), today, diff)
			}
		})
	}
}

func TestGraphEdgeStateUnknownEnds(t *testing.T) {
	releases := []store.Release{MustRelease(t, "app@1.0", "2027-04-01")}
	today := MustDate(t, "2027-03-01")
	g := store.NewGraph(releases, nil, nil)
	for _, d := range []store.Dependency{
		MustDep(t, "app@1.0", "lib@9", ""),
		MustDep(t, "ghost@1", "app@1.0", ""),
		MustDep(t, "app@1.0", "ext:nobody knows", ""),
	} {
		if e, ok := g.EdgeState(d, today); ok {
			t.Errorf("EdgeState(%s) = %+v, true; want ok = false for an unknown end", d.Key(), e)
		}
	}
}

// slipGraph is a small release train used by the Slips and AtRisk tests:
//
//	app@3 ─► api@2 ─► db@5 (late for api@2)
//	  │        └────► auth@1 (on time)
//	  └────► ui@4 (on time)
//	web@1 ─► api@2          (web depends on an at-risk release too)
//	old@1 (shipped) ─► api@2
//	new@1 ─► old@1          (a shipped provider stops the risk)
//	mob@1 ─► ext:Apple SDK  (late external)
//	ops@1 ─► cron@1         (overdue as of 2027-03-01: needed 02-20, not shipped)
//	dangling@1 ─► ghost@1   (provider unknown: ignored)
func slipGraph(tb testing.TB) *store.Graph {
	tb.Helper()
	releases := []store.Release{
		MustRelease(tb, "app@3", "2027-05-01"),
		MustRelease(tb, "api@2", "2027-04-01"),
		MustRelease(tb, "db@5", "2027-04-10"),
		MustRelease(tb, "auth@1", "2027-03-15"),
		MustRelease(tb, "ui@4", "2027-04-20"),
		MustRelease(tb, "web@1", "2027-06-01"),
		MustShipped(tb, "old@1", "2027-02-01", "2027-02-01"),
		MustRelease(tb, "new@1", "2027-06-01"),
		MustRelease(tb, "mob@1", "2027-04-01"),
		MustRelease(tb, "ops@1", "2027-04-01"),
		MustRelease(tb, "cron@1", "2027-02-18"),
		MustRelease(tb, "dangling@1", "2027-04-01"),
	}
	externals := []store.External{MustExternal(tb, "Apple SDK", "2027-04-05")}
	deps := []store.Dependency{
		MustDep(tb, "app@3", "api@2", ""),
		MustDep(tb, "app@3", "ui@4", ""),
		MustDep(tb, "api@2", "db@5", ""),
		MustDep(tb, "api@2", "auth@1", ""),
		MustDep(tb, "web@1", "api@2", ""),
		MustDep(tb, "old@1", "api@2", ""),
		MustDep(tb, "new@1", "old@1", ""),
		MustDep(tb, "mob@1", "ext:Apple SDK", ""),
		MustDep(tb, "ops@1", "cron@1", "2027-02-20"),
		MustDep(tb, "dangling@1", "ghost@1", ""),
	}
	return store.NewGraph(releases, externals, deps)
}

func TestGraphSlips(t *testing.T) {
	g := slipGraph(t)
	tests := []struct {
		name  string
		today string
		want  []string
	}{
		{"BeforeCronIsOverdue", "2027-02-20", []string{"api@2 db@5", "mob@1 ext:apple sdk"}},
		{"AfterCronIsOverdue", "2027-03-01", []string{"api@2 db@5", "mob@1 ext:apple sdk", "ops@1 cron@1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range g.Slips(MustDate(t, tt.today)) {
				if !e.Slipped {
					t.Errorf("Slips(%s) includes %s with Slipped = false", tt.today, e.Key())
				}
				got = append(got, e.Key())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Slips(%s) mismatch (-want +got):\n%s", tt.today, diff)
			}
		})
	}

	t.Run("ExcludesShippedConsumers", func(t *testing.T) {
		// old@1 shipped long before api@2's date: its edge would be late,
		// but a shipped release waits for nothing.
		for _, e := range g.Slips(MustDate(t, "2027-03-01")) {
			if e.Consumer.Key() == "old@1" {
				t.Errorf("Slips includes %s; want shipped consumers left out", e.Key())
			}
		}
	})
}

// riskView is what a test states about a Risk: the keys of its slipped
// edges and the releases it is at risk through.
type riskView struct {
	Slips []string
	Via   []string
}

func viewRisks(tb testing.TB, risks map[store.Ref]*store.Risk) map[string]riskView {
	tb.Helper()
	out := make(map[string]riskView, len(risks))
	for ref, r := range risks {
		if r.Release == nil || r.Release.Ref != ref {
			tb.Errorf("AtRisk()[%s].Release = %v; want the release %s", ref, r.Release, ref)
		}
		var v riskView
		for _, e := range r.Slips {
			v.Slips = append(v.Slips, e.Key())
		}
		for _, via := range r.Via {
			v.Via = append(v.Via, via.Key())
		}
		slices.Sort(v.Via) // Via's order is not part of the contract
		out[ref.Key()] = v
	}
	return out
}

func TestGraphAtRisk(t *testing.T) {
	g := slipGraph(t)
	tests := []struct {
		name  string
		today string
		want  map[string]riskView
	}{
		{
			name:  "DirectAndTransitive",
			today: "2027-02-20",
			want: map[string]riskView{
				"api@2": {Slips: []string{"api@2 db@5"}},
				"app@3": {Via: []string{"api@2"}},
				"web@1": {Via: []string{"api@2"}},
				"mob@1": {Slips: []string{"mob@1 ext:apple sdk"}},
			},
		},
		{
			name:  "OverdueAppearsAsTimePasses",
			today: "2027-03-01",
			want: map[string]riskView{
				"api@2": {Slips: []string{"api@2 db@5"}},
				"app@3": {Via: []string{"api@2"}},
				"web@1": {Via: []string{"api@2"}},
				"mob@1": {Slips: []string{"mob@1 ext:apple sdk"}},
				"ops@1": {Slips: []string{"ops@1 cron@1"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := viewRisks(t, g.AtRisk(MustDate(t, tt.today)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AtRisk(%s) mismatch (-want +got):\n%s", tt.today, diff)
			}
		})
	}
}

func TestGraphAtRiskShapes(t *testing.T) {
	today := "2027-03-01"
	tests := []struct {
		name     string
		releases []store.Release
		deps     []store.Dependency
		want     map[string]riskView
	}{
		{
			name: "NothingSlippedNothingAtRisk",
			releases: []store.Release{
				MustRelease(t, "a@1", "2027-05-01"),
				MustRelease(t, "b@1", "2027-04-01"),
			},
			deps: []store.Dependency{MustDep(t, "a@1", "b@1", "")},
			want: map[string]riskView{},
		},
		{
			name: "LongChainCarriesRiskToTheTop",
			releases: []store.Release{
				MustRelease(t, "a@1", "2027-09-01"),
				MustRelease(t, "b@1", "2027-08-01"),
				MustRelease(t, "c@1", "2027-07-01"),
				MustRelease(t, "d@1", "2027-06-01"),
				MustRelease(t, "e@1", "2027-06-15"), // late for d@1
			},
			deps: []store.Dependency{
				MustDep(t, "a@1", "b@1", ""),
				MustDep(t, "b@1", "c@1", ""),
				MustDep(t, "c@1", "d@1", ""),
				MustDep(t, "d@1", "e@1", ""),
			},
			want: map[string]riskView{
				"d@1": {Slips: []string{"d@1 e@1"}},
				"c@1": {Via: []string{"d@1"}},
				"b@1": {Via: []string{"c@1"}},
				"a@1": {Via: []string{"b@1"}},
			},
		},
		{
			name: "DiamondListsBothPaths",
			releases: []store.Release{
				MustRelease(t, "top@1", "2027-09-01"),
				MustRelease(t, "left@1", "2027-08-01"),
				MustRelease(t, "right@1", "2027-08-01"),
				MustRelease(t, "bottom@1", "2027-07-01"),
				MustRelease(t, "base@1", "2027-07-05"), // late for bottom@1
			},
			deps: []store.Dependency{
				MustDep(t, "top@1", "left@1", ""),
				MustDep(t, "top@1", "right@1", ""),
				MustDep(t, "left@1", "bottom@1", ""),
				MustDep(t, "right@1", "bottom@1", ""),
				MustDep(t, "bottom@1", "base@1", ""),
			},
			want: map[string]riskView{
				"bottom@1": {Slips: []string{"bottom@1 base@1"}},
				"left@1":   {Via: []string{"bottom@1"}},
				"right@1":  {Via: []string{"bottom@1"}},
				"top@1":    {Via: []string{"left@1", "right@1"}},
			},
		},
		{
			name: "DirectSlipAndViaTogether",
			releases: []store.Release{
				MustRelease(t, "a@1", "2027-05-01"),
				MustRelease(t, "b@1", "2027-04-01"),
				MustRelease(t, "c@1", "2027-04-10"), // late for b@1
				MustRelease(t, "d@1", "2027-05-03"), // late for a@1
			},
			deps: []store.Dependency{
				MustDep(t, "a@1", "b@1", ""),
				MustDep(t, "a@1", "d@1", ""),
				MustDep(t, "b@1", "c@1", ""),
			},
			want: map[string]riskView{
				"a@1": {Slips: []string{"a@1 d@1"}, Via: []string{"b@1"}},
				"b@1": {Slips: []string{"b@1 c@1"}},
			},
		},
		{
			name: "ShippedAndCancelledConsumersExcluded",
			releases: []store.Release{
				MustShipped(t, "s@1", "2027-02-01", "2027-02-01"),
				MustCancelled(t, "x@1", "2027-05-01"),
				MustRelease(t, "b@1", "2027-04-01"),
				MustRelease(t, "c@1", "2027-04-10"), // late for b@1
				MustRelease(t, "top@1", "2027-09-01"),
			},
			deps: []store.Dependency{
				MustDep(t, "s@1", "b@1", ""),
				MustDep(t, "x@1", "b@1", ""),
				MustDep(t, "b@1", "c@1", ""),
				MustDep(t, "top@1", "s@1", ""), // s@1 shipped: top@1 has what it needs
			},
			want: map[string]riskView{
				"b@1": {Slips: []string{"b@1 c@1"}},
			},
		},
		{
			name: "CancelledProviderPutsConsumersAtRisk",
			releases: []store.Release{
				MustRelease(t, "a@1", "2027-06-01"),
				MustRelease(t, "b@1", "2027-05-01"),
				MustCancelled(t, "c@1", "2027-04-01"),
			},
			deps: []store.Dependency{
				MustDep(t, "a@1", "b@1", ""),
				MustDep(t, "b@1", "c@1", ""),
			},
			want: map[string]riskView{
				"b@1": {Slips: []string{"b@1 c@1"}},
				"a@1": {Via: []string{"b@1"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := store.NewGraph(tt.releases, nil, tt.deps)
			got := viewRisks(t, g.AtRisk(MustDate(t, today)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AtRisk(%s) mismatch (-want +got):\n%s", today, diff)
			}
		})
	}
}

// impactView is what a test states about one Impacted release.
type impactView struct {
	Release  string
	Via      string
	Depth    int
	NeededBy string
	Slack    int
	Slipped  bool
	AtRisk   bool
}

func viewImpact(items []store.Impacted) []impactView {
	var out []impactView
	for _, it := range items {
		out = append(out, impactView{
			Release: it.Release.Key(), Via: it.Via, Depth: it.Depth, NeededBy: it.NeededBy.String(),
			Slack: it.Slack, Slipped: it.Slipped, AtRisk: it.AtRisk,
		})
	}
	return out
}

func TestGraphImpact(t *testing.T) {
	// lib@1 (2027-03-01) is the root. Downstream:
	//
	//	depth 1: a@1 (slack 9), b@1 (needed-by 03-05: slack 4), f@1 (slack 9),
	//	         late@1 (needed-by 02-25: slipped), d@1 (direct, and via c@1)
	//	depth 2: c@1 → a@1 (slack 10) and → b@1 (slack 5: the tightest);
	//	         c@1 also → other@1 (slack -100), which is outside the set
	//	depth 3: top@1 → c@1
	//
	// unrelated@1 depends on other@1 only and must not appear.
	releases := []store.Release{
		MustRelease(t, "lib@1", "2027-03-01"),
		MustRelease(t, "a@1", "2027-03-10"),
		MustRelease(t, "b@1", "2027-03-15"),
		MustRelease(t, "f@1", "2027-03-10"),
		MustRelease(t, "late@1", "2027-04-01"),
		MustRelease(t, "c@1", "2027-03-20"),
		MustRelease(t, "d@1", "2027-06-01"),
		MustRelease(t, "top@1", "2027-04-01"),
		MustRelease(t, "other@1", "2027-06-28"),
		MustRelease(t, "unrelated@1", "2027-07-01"),
	}
	deps := []store.Dependency{
		MustDep(t, "a@1", "lib@1", ""),
		MustDep(t, "b@1", "lib@1", "2027-03-05"),
		MustDep(t, "f@1", "lib@1", ""),
		MustDep(t, "late@1", "lib@1", "2027-02-25"),
		MustDep(t, "c@1", "a@1", ""),
		MustDep(t, "c@1", "b@1", ""),
		MustDep(t, "c@1", "other@1", ""),
		MustDep(t, "d@1", "c@1", ""),
		MustDep(t, "d@1", "lib@1", ""),
		MustDep(t, "top@1", "c@1", ""),
		MustDep(t, "unrelated@1", "other@1", ""),
	}
	g := store.NewGraph(releases, nil, deps)
	today := MustDate(t, "2027-02-01")

	want := []impactView{
		{Release: "late@1", Via: "lib@1", Depth: 1, NeededBy: "2027-02-25", Slack: -4, Slipped: true, AtRisk: true},
		{Release: "b@1", Via: "lib@1", Depth: 1, NeededBy: "2027-03-05", Slack: 4},
		{Release: "a@1", Via: "lib@1", Depth: 1, NeededBy: "2027-03-10", Slack: 9},
		{Release: "f@1", Via: "lib@1", Depth: 1, NeededBy: "2027-03-10", Slack: 9},
		// d@1 → c@1 has slack 73 and d@1 → lib@1 has 92: the tighter wins
		// even though it is not the edge that gives the depth.
		{Release: "d@1", Via: "c@1", Depth: 1, NeededBy: "2027-06-01", Slack: 73, AtRisk: true},
		{Release: "c@1", Via: "b@1", Depth: 2, NeededBy: "2027-03-20", Slack: 5, AtRisk: true},
		{Release: "top@1", Via: "c@1", Depth: 3, NeededBy: "2027-04-01", Slack: 12, AtRisk: true},
	}
	if diff := cmp.Diff(want, viewImpact(g.Impact("lib@1", today))); diff != "" {
		t.Errorf("Impact(lib@1, %s) mismatch (-want +got):\n%s", today, diff)
	}

	t.Run("LeafHasNoImpact", func(t *testing.T) {
		if got := g.Impact("top@1", today); len(got) != 0 {
			t.Errorf("Impact(top@1) = %v; want nothing downstream", viewImpact(got))
		}
	})
	t.Run("UnknownRootIsNil", func(t *testing.T) {
		if got := g.Impact("ghost@1", today); got != nil {
			t.Errorf("Impact(ghost@1) = %v; want nil", viewImpact(got))
		}
	})
}

func TestGraphImpactOfExternal(t *testing.T) {
	releases := []store.Release{
		MustRelease(t, "app@1", "2027-04-01"),
		MustRelease(t, "web@1", "2027-05-01"),
		MustRelease(t, "cli@1", "2027-03-20"),
	}
	externals := []store.External{MustExternal(t, "Stripe SDK", "2027-03-25")}
	deps := []store.Dependency{
		MustDep(t, "app@1", "ext:Stripe SDK", ""),
		MustDep(t, "cli@1", "ext:stripe sdk", ""),
		MustDep(t, "web@1", "app@1", ""),
	}
	g := store.NewGraph(releases, externals, deps)
	today := MustDate(t, "2027-02-01")
	root := "ext:" + store.ExternalKey("  STRIPE   sdk ")

	want := []impactView{
		{Release: "cli@1", Via: "ext:stripe sdk", Depth: 1, NeededBy: "2027-03-20", Slack: -5, Slipped: true, AtRisk: true},
		{Release: "app@1", Via: "ext:stripe sdk", Depth: 1, NeededBy: "2027-04-01", Slack: 7},
		{Release: "web@1", Via: "app@1", Depth: 2, NeededBy: "2027-05-01", Slack: 30},
	}
	if diff := cmp.Diff(want, viewImpact(g.Impact(root, today))); diff != "" {
		t.Errorf("Impact(%q, %s) mismatch (-want +got):\n%s", root, today, diff)
	}
}

func TestGraphCycle(t *testing.T) {
	// Edges consumer → provider.
	releases := []store.Release{
		MustRelease(t, "a@1", "2027-06-01"),
		MustRelease(t, "b@1", "2027-06-01"),
		MustRelease(t, "c@1", "2027-06-01"),
		MustRelease(t, "d@1", "2027-06-01"),
		MustRelease(t, "e@1", "2027-06-01"),
		MustRelease(t, "top@1", "2027-06-01"),
		MustRelease(t, "left@1", "2027-06-01"),
		MustRelease(t, "right@1", "2027-06-01"),
		MustRelease(t, "bottom@1", "2027-06-01"),
		MustShipped(t, "old@1", "2027-01-01", "2027-01-01"),
		MustRelease(t, "x@1", "2027-06-01"),
	}
	externals := []store.External{MustExternal(t, "Vendor", "2027-05-01")}
	deps := []store.Dependency{
		// chain b → c → d → e, plus a shortcut b → d
		MustDep(t, "b@1", "c@1", ""),
		MustDep(t, "c@1", "d@1", ""),
		MustDep(t, "d@1", "e@1", ""),
		MustDep(t, "b@1", "d@1", ""),
		// diamond
		MustDep(t, "top@1", "left@1", ""),
		MustDep(t, "top@1", "right@1", ""),
		MustDep(t, "left@1", "bottom@1", ""),
		MustDep(t, "right@1", "bottom@1", ""),
		// shipped releases still count as edges of the graph
		MustDep(t, "old@1", "x@1", ""),
		// externals never close cycles
		MustDep(t, "x@1", "ext:Vendor", ""),
	}
	g := store.NewGraph(releases, externals, deps)

	tests := []struct {
		name               string
		consumer, provider string
		want               []string
	}{
		{"RejectsSelfCycle", "a@1", "a@1", []string{"a@1", "a@1"}},
		{"RejectsTwoCycle", "c@1", "b@1", []string{"c@1", "b@1", "c@1"}},
		{"RejectsLongCycleWithShortestPath", "e@1", "b@1", []string{"e@1", "b@1", "d@1", "e@1"}},
		{"RejectsLongCycleThroughChain", "e@1", "c@1", []string{"e@1", "c@1", "d@1", "e@1"}},
		{"RejectsCycleThroughShippedRelease", "x@1", "old@1", []string{"x@1", "old@1", "x@1"}},
		{"AcceptsParallelPath", "b@1", "e@1", nil},
		{"AcceptsExistingEdgeAgain", "b@1", "c@1", nil},
		{"AcceptsDiamondTopToBottom", "top@1", "bottom@1", nil},
		{"AcceptsDiamondSideToSide", "left@1", "right@1", nil},
		{"AcceptsUnrelated", "a@1", "e@1", nil},
		{"AcceptsUnknownProvider", "a@1", "new@1", nil},
		{"AcceptsUnknownConsumer", "new@1", "a@1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			consumer, provider := MustRef(t, tt.consumer), MustRef(t, tt.provider)
			var got []string
			for _, r := range g.Cycle(consumer, provider) {
				got = append(got, r.Key())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Cycle(%s, %s) mismatch (-want +got):\n%s", consumer, provider, diff)
			}
		})
	}

	t.Run("RejectsDiamondBottomToTop", func(t *testing.T) {
		// Either side of the diamond is a correct answer; check the path
		// is a real cycle of the shortest length.
		consumer, provider := MustRef(t, "bottom@1"), MustRef(t, "top@1")
		path := g.Cycle(consumer, provider)
		if len(path) != 4 || path[0] != consumer || path[1] != provider || path[3] != consumer {
			t.Fatalf("Cycle(%s, %s) = %v; want [bottom@1 top@1 left@1|right@1 bottom@1]", consumer, provider, path)
		}
		for i := 1; i+1 < len(path); i++ {
			found := false
			for _, d := range g.Dependencies(path[i]) {
				if d.ProviderKey() == path[i+1].Key() {
					found = true
				}
			}
			if !found {
				t.Errorf("Cycle(%s, %s) = %v: %s does not depend on %s", consumer, provider, path, path[i], path[i+1])
			}
		}
	})
}

func TestGraphLookups(t *testing.T) {
	g := slipGraph(t)
	if r := g.Release(MustRef(t, "api@2")); r == nil || r.Target.String() != "2027-04-01" {
		t.Errorf("Release(api@2) = %v; want the release targeting 2027-04-01", r)
	}
	if r := g.Release(MustRef(t, "api@3")); r != nil {
		t.Errorf("Release(api@3) = %v; want nil", r)
	}
	if x := g.External("  apple   SDK"); x == nil || x.Name != "Apple SDK" {
		t.Errorf("External(%q) = %v; want Apple SDK", "  apple   SDK", x)
	}
	if x := g.External("Android SDK"); x != nil {
		t.Errorf("External(Android SDK) = %v; want nil", x)
	}

	var got []string
	for _, d := range g.Dependencies(MustRef(t, "app@3")) {
		got = append(got, d.Key())
	}
	if diff := cmp.Diff([]string{"app@3 api@2", "app@3 ui@4"}, got); diff != "" {
		t.Errorf("Dependencies(app@3) mismatch (-want +got):\n%s", diff)
	}

	got = nil
	for _, d := range g.Dependents("api@2") {
		got = append(got, d.Key())
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"app@3 api@2", "old@1 api@2", "web@1 api@2"}, got); diff != "" {
		t.Errorf("Dependents(api@2) mismatch (-want +got):\n%s", diff)
	}

	if got := g.Dependents("ext:apple sdk"); len(got) != 1 || got[0].Consumer.Key() != "mob@1" {
		t.Errorf("Dependents(ext:apple sdk) = %v; want the edge from mob@1", got)
	}
	if got := g.Dependencies(MustRef(t, "ghost@1")); got != nil {
		t.Errorf("Dependencies(ghost@1) = %v; want nil", got)
	}
}
