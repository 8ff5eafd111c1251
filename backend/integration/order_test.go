package integration

import (
	"cmp"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

var updateOrder = flag.Bool("update", false, "rewrite testdata/order.json's name keys from NameKeys")

const orderFixture = "testdata/order.json"

// orderFile is testdata/order.json.
type orderFile struct {
	Comment string      `json:"_comment"`
	Cases   []orderCase `json:"cases"`
}

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
	// NameKey is what Go sends the window with the name
	// (IntegrationView.nameKey); the page sorts by it.
	NameKey string `json:"nameKey"`
}

func readOrderFixture(t *testing.T) orderFile {
	t.Helper()
	b, err := os.ReadFile(orderFixture)
	if err != nil {
		t.Fatal(err)
	}
	var f orderFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("no cases in %s", orderFixture)
	}
	return f
}

// The page sorts the fixture by its keys (order.test.ts): they must be
// the ones Go makes today.
func TestOrderFixtureHoldsGosNameKeys(t *testing.T) {
	f := readOrderFixture(t)
	for ci, tc := range f.Cases {
		keys := NewNameKeys(tc.Lang)
		for ii, it := range tc.Items {
			want := keys.Key(it.Name)
			if *updateOrder {
				f.Cases[ci].Items[ii].NameKey = want
			} else if it.NameKey != want {
				t.Errorf("%s: %q has key %q; NameKeys(%s) makes %q (go test ./backend/integration -run TestOrderFixture -update)", tc.Name, it.Name, it.NameKey, tc.Lang, want)
			}
		}
	}
	if *updateOrder {
		b, err := json.MarshalIndent(f, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(orderFixture, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Keys compared as strings must order names exactly as the collator does,
// over names a list meets: numbers, case, accents, punctuation, other
// scripts.
func TestNameKeysCompareAsTheCollator(t *testing.T) {
	names := []string{
		"int-1", "int-2", "int-10", "Int-3", "int-02", "int-1-b", "int 1", "int1", "int-100", "int-99",
		"Ads", "ads", "Äds", "éclair", "Eclair", "Zeta", "zeta", "ñu", "nube", "oca", "Ñandú", "nz",
		"CRM (prod)", "crm-prod", "crm_prod", "crm.prod", "", " ", "a", "A", "á", "b",
		"数据", "Данные", "データ", "x1y22z", "x1y3z", "0", "00", "9", "10", "1.5", "1,5",
	}
	for _, lang := range []string{"en", "es", "de", "sv", "ja"} {
		keys := NewNameKeys(lang)
		c := collate.New(language.Make(lang), collate.Numeric, collate.Loose)
		for _, a := range names {
			for _, b := range names {
				got := cmp.Compare(keys.Key(a), keys.Key(b))
				if want := c.CompareString(a, b); got != want {
					t.Errorf("%s: keys of %q and %q compare %d; the collator says %d", lang, a, b, got, want)
				}
			}
		}
	}
}

func TestNameKeysFollowTheLanguage(t *testing.T) {
	keys := NewNameKeys("en")
	if got := strings.Compare(keys.Key("ñu"), keys.Key("nz")); got != -1 {
		t.Errorf("en: ñu vs nz = %d; want -1 (ñ is n with an accent)", got)
	}
	keys.SetLanguage("es")
	if got := strings.Compare(keys.Key("ñu"), keys.Key("nz")); got != 1 {
		t.Errorf("es: ñu vs nz = %d; want 1 (ñ is a letter after n)", got)
	}
}

func TestSortByAttentionFollowsTheSharedCases(t *testing.T) {
	f := readOrderFixture(t)
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
