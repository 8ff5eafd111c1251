package i18n

import (
	"testing"

	"relink/backend/catalog"
)

// TestEveryProviderHasStrings checks that each catalogue entry can be
// shown in every language: its name, its description, the labels of its fields and
// its group's heading. English is the catalogue's own description, so
// the two cannot drift apart.
func TestEveryProviderHasStrings(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cat.List() {
		key, nameKey := "provider."+p.ID+".description", "provider."+p.ID+".name"
		if got := c.msgs[Fallback][key]; got != p.Description {
			t.Errorf("%s: %s = %q; want the catalogue's %q", Fallback, key, got, p.Description)
		}
		if got := c.msgs[Fallback][nameKey]; got != p.Name {
			t.Errorf("%s: %s = %q; want the catalogue's %q", Fallback, nameKey, got, p.Name)
		}
		for _, lang := range c.Languages() {
			want := []string{key, nameKey, "ui.group." + p.Group}
			for _, f := range p.Fields {
				want = append(want, "field."+f.Key)
			}
			for _, k := range want {
				if _, ok := c.msgs[lang][k]; !ok {
					t.Errorf("%s: %s has no %q", lang, p.ID, k)
				}
			}
		}
	}
}
