package catalog

import (
	"regexp"
	"regexp/syntax"
	"sync"
)

// pattern is a catalogue expression compiled on first use. Compiled, the
// catalogue's patterns were most of its memory (0.9 of 1.4 MiB, all of it
// live for the window's lifetime) and their compiling most of its load
// time, while a user's integrations match against a few providers'.
// Parse checks every pattern's syntax, which is where compiling fails
// (TestEveryPatternCompiles compiles them all).
type pattern struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

func newPattern(expr string) (*pattern, error) {
	if _, err := syntax.Parse(expr, syntax.Perl); err != nil {
		return nil, err
	}
	return &pattern{expr: expr}, nil
}

// MatchString reports whether s contains a match (anchor the expression to
// match it whole).
func (p *pattern) MatchString(s string) bool {
	p.once.Do(func() { p.re = regexp.MustCompile(p.expr) })
	return p.re.MatchString(s)
}
