package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"relman/store"
)

func TestRolesWith(t *testing.T) {
	base := store.Roles{store.ReleaseManager: {"UA"}, store.ProductManager: {"UPM"}}
	tests := []struct {
		name  string
		role  store.Role
		users []string
		want  store.Roles
	}{
		{"SetsHolders", store.ReleaseEngineer, []string{"UE1", "UE2"},
			store.Roles{store.ReleaseManager: {"UA"}, store.ProductManager: {"UPM"}, store.ReleaseEngineer: {"UE1", "UE2"}}},
		{"ReplacesHolders", store.ReleaseManager, []string{"UB"},
			store.Roles{store.ReleaseManager: {"UB"}, store.ProductManager: {"UPM"}}},
		{"DropsAdjacentRepeats", store.ReleaseManager, []string{"UB", "UB", "UC"},
			store.Roles{store.ReleaseManager: {"UB", "UC"}, store.ProductManager: {"UPM"}}},
		{"DropsScatteredRepeatsKeepingOrder", store.ReleaseManager, []string{"UC", "UB", "UC", "UB"},
			store.Roles{store.ReleaseManager: {"UC", "UB"}, store.ProductManager: {"UPM"}}},
		{"EmptyUnsets", store.ProductManager, nil,
			store.Roles{store.ReleaseManager: {"UA"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := base.With(tt.role, tt.users)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("With(%s, %q) mismatch (-want +got):\n%s", tt.role, tt.users, diff)
			}
		})
	}

	t.Run("LeavesReceiverAlone", func(t *testing.T) {
		rs := store.Roles{store.ReleaseManager: {"UA"}}
		got := rs.With(store.ReleaseManager, []string{"UB"})
		got[store.ReleaseManager][0] = "UX"
		if diff := cmp.Diff(store.Roles{store.ReleaseManager: {"UA"}}, rs); diff != "" {
			t.Errorf("With changed its receiver (-want +got):\n%s", diff)
		}
	})
}

func TestParseRole(t *testing.T) {
	tests := []struct {
		in   string
		want store.Role
	}{
		{"release-manager", store.ReleaseManager},
		{"RM", store.ReleaseManager},
		{"release_manager", store.ReleaseManager},
		{"release-engineer", store.ReleaseEngineer},
		{"engineer", store.ReleaseEngineer},
		{"product-manager", store.ProductManager},
		{"pm", store.ProductManager},
	}
	for _, tt := range tests {
		t.Run("Accepts"+tt.in, func(t *testing.T) {
			if got, err := store.ParseRole(tt.in); got != tt.want || err != nil {
				t.Errorf("ParseRole(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
			}
		})
	}
	t.Run("RejectsUnknown", func(t *testing.T) {
		if got, err := store.ParseRole("boss"); store.ErrorCode(err) != store.EInvalid {
			t.Errorf("ParseRole(%q) = %q, %v; want an error with code %q", "boss", got, err, store.EInvalid)
		}
	})
}

func TestReleaseHolders(t *testing.T) {
	product := &store.Product{Name: "payments", Roles: store.Roles{store.ReleaseEngineer: {"UPRODRE"}}}
	r := MustRelease(t, "payments@1", "2027-03-01")
	r.Owner = "UOWNER"
	tests := []struct {
		name    string
		roles   store.Roles
		product *store.Product
		role    store.Role
		want    []string
	}{
		{"ReleaseSettingWins", store.Roles{store.ReleaseEngineer: {"URELRE"}}, product, store.ReleaseEngineer, []string{"URELRE"}},
		{"ProductIsTheDefault", nil, product, store.ReleaseEngineer, []string{"UPRODRE"}},
		{"OwnerStandsInForReleaseManager", nil, product, store.ReleaseManager, []string{"UOWNER"}},
		{"OwnerStandsInWithoutProduct", nil, nil, store.ReleaseManager, []string{"UOWNER"}},
		{"NobodyForUnsetProductManager", nil, product, store.ProductManager, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := r
			r.Roles = tt.roles
			if diff := cmp.Diff(tt.want, r.Holders(tt.role, tt.product)); diff != "" {
				t.Errorf("Holders(%s) mismatch (-want +got):\n%s", tt.role, diff)
			}
		})
	}
}

func TestReleaseCanManage(t *testing.T) {
	product := &store.Product{Name: "payments", Roles: store.Roles{store.ReleaseManager: {"UPRODRM"}}}
	r := MustRelease(t, "payments@1", "2027-03-01")
	r.Owner = "UOWNER"
	tests := []struct {
		name  string
		user  string
		admin bool
		want  bool
	}{
		{"AllowsOwner", "UOWNER", false, true},
		{"AllowsReleaseManager", "UPRODRM", false, true},
		{"AllowsAdmin", "USTRANGER", true, true},
		{"RefusesOthers", "USTRANGER", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.CanManage(tt.user, product, tt.admin); got != tt.want {
				t.Errorf("CanManage(%q, admin=%v) = %v; want %v", tt.user, tt.admin, got, tt.want)
			}
		})
	}
}
