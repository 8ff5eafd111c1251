package cli

import (
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
)

// table lays out columns by display width, not by bytes or runes, so
// names with emoji or CJK characters stay aligned; a row may carry a note
// (the problem sentence) printed on its own indented line under it.
type table struct {
	rows  [][]string
	notes []string
}

func (t *table) row(note string, cells ...string) {
	t.rows = append(t.rows, cells)
	t.notes = append(t.notes, note)
}

func (t *table) write(w io.Writer) {
	var widths []int
	for _, r := range t.rows {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], runewidth.StringWidth(cell))
		}
	}
	var b strings.Builder
	for n, r := range t.rows {
		for i, cell := range r {
			b.WriteString(cell)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-runewidth.StringWidth(cell)+2))
			}
		}
		b.WriteByte('\n')
		if t.notes[n] != "" {
			b.WriteString("    ↳ " + t.notes[n] + "\n")
		}
	}
	io.WriteString(w, b.String())
}
