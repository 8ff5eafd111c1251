package integration

import (
	"cmp"
	"encoding/hex"
	"slices"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// SortByAttention sorts items the way every list shows integrations: the
// most severe status first, then by name the way people count (int-2
// before int-10) in the language lang, ignoring case and accents. The
// window's list (frontend/src/lib/list.ts filterSort) orders the same way
// by the NameKey each view carries; testdata/order.json holds cases both
// test suites check. key returns an item's status and name; items that
// compare equal keep their order.
func SortByAttention[T any](items []T, lang string, key func(T) (Status, string)) {
	names := NewNameKeys(lang)
	type row struct {
		severity int
		name     string
		item     T
	}
	rows := make([]row, len(items))
	for i, it := range items {
		st, name := key(it)
		rows[i] = row{Severity(st), names.Key(name), it}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		if d := cmp.Compare(b.severity, a.severity); d != 0 {
			return d
		}
		return cmp.Compare(a.name, b.name)
	})
	for i, r := range rows {
		items[i] = r.item
	}
}

// NameKeys makes the sort keys of names in one language: two keys compare,
// as strings, the way their names do for people counting (int-2 before
// int-10), ignoring case and accents. The window sorts by them, so its web
// process needs no collator of its own (Intl.Collator loads ICU's
// collation data there: about 1 MB). Safe for concurrent use.
type NameKeys struct {
	mu   sync.Mutex
	lang string
	c    *collate.Collator
	buf  collate.Buffer
}

// NewNameKeys returns the keys of the language lang (a BCP 47 tag).
func NewNameKeys(lang string) *NameKeys {
	k := &NameKeys{}
	k.SetLanguage(lang)
	return k
}

// SetLanguage switches to the language lang; keys made before it do not
// compare with keys made after it.
func (k *NameKeys) SetLanguage(lang string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.c != nil && lang == k.lang {
		return
	}
	k.lang, k.c = lang, collate.New(language.Make(lang), collate.Numeric, collate.Loose)
}

// Key returns name's key: its collation key in hex, which keeps the
// collation key's byte order as JavaScript compares strings.
func (k *NameKeys) Key(name string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.buf.Reset()
	return hex.EncodeToString(k.c.KeyFromString(&k.buf, name))
}
