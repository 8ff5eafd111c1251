package integration

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// orderCase is one case of testdata/order.json, which the frontend's
// list order is tested against too.
type orderCase struct {
	Name  string      `json:"name"`
	Lang  string      `json:"lang"`
	Items []orderItem `json:"items"`
	Want  []string    `json:"want"`
}

type orderItem struct {
	Name     string `json:"name"`
	Status   Status `json:"status"`
	Severity int    `json:"severity"`
}

func TestSortByAttentionFollowsTheSharedCases(t *testing.T) {
	b, err := os.ReadFile("testdata/order.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []orderCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("no cases in testdata/order.json")
	}
	// The frontend checks its sample data's severities against these.
	seen := map[Status]bool{}
	for _, tc := range f.Cases {
		for _, it := range tc.Items {
			seen[it.Status] = true
		}
	}
	for _, st := range AllStatuses {
		if !seen[st] {
			t.Errorf("no case in testdata/order.json has status %s", st)
		}
	}
	for _, tc := range f.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			items := tc.Items
			for _, it := range items {
				// The frontend sorts by the severity Go sends: the
				// fixture's numbers must be Go's.
				if got := Severity(it.Status); got != it.Severity {
					t.Errorf("Severity(%s) = %d; the fixture says %d", it.Status, got, it.Severity)
				}
			}
			SortByAttention(items, tc.Lang, func(it orderItem) (Status, string) { return it.Status, it.Name })
			var got []string
			for _, it := range items {
				got = append(got, it.Name)
			}
			if !slices.Equal(got, tc.Want) {
				t.Errorf("SortByAttention(%s) = %q; want %q", tc.Lang, got, tc.Want)
			}
		})
	}
}
