package catalog

import (
	"regexp"
	"testing"
)

// TestEveryPatternCompiles: Parse checks only syntax and compiling waits
// for first use, so each embedded pattern is compiled here.
func TestEveryPatternCompiles(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	var all []*pattern
	for _, p := range c.List() {
		for _, f := range p.Fields {
			all = append(all, f.re)
		}
		for _, k := range p.Keep {
			all = append(all, k.re)
		}
		for _, r := range p.Errors {
			all = append(all, r.c.text)
			for _, b := range r.c.body {
				all = append(all, b.m.re)
			}
			for _, h := range r.c.headers {
				all = append(all, h.re)
			}
		}
	}
	n := 0
	for _, p := range all {
		if p == nil {
			continue
		}
		n++
		if _, err := regexp.Compile(p.expr); err != nil {
			t.Errorf("pattern %q: %v", p.expr, err)
		}
	}
	if n < 50 {
		t.Errorf("compiled %d patterns; want the catalogue's (more than 50)", n)
	}
}

func TestPatternMatchesOnceCompiled(t *testing.T) {
	p, err := newPattern(`^ab+c$`)
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]bool{"abbc": true, "ac": false, "xabc": false} {
		if got := p.MatchString(in); got != want {
			t.Errorf("MatchString(%q) = %v; want %v", in, got, want)
		}
	}
	if _, err := newPattern(`a{1,2000}`); err == nil {
		t.Error("newPattern(a{1,2000}) = nil error; want the parser's")
	}
}
