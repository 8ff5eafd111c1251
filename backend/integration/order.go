package integration

import (
	"cmp"
	"slices"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// SortByAttention sorts items the way every list shows integrations: the
// most severe status first, then by name the way people count (int-2
// before int-10) in the language lang, ignoring case and accents. The
// window's list (frontend/src/lib/list.ts filterSort) orders the same way;
// testdata/order.json holds cases both test suites check. key returns an
// item's status and name; items that compare equal keep their order.
func SortByAttention[T any](items []T, lang string, key func(T) (Status, string)) {
	// A collator is not safe for concurrent use: one per sort.
	c := collate.New(language.Make(lang), collate.Numeric, collate.Loose)
	slices.SortStableFunc(items, func(a, b T) int {
		as, an := key(a)
		bs, bn := key(b)
		if d := cmp.Compare(Severity(bs), Severity(as)); d != 0 {
			return d
		}
		return c.CompareString(an, bn)
	})
}
