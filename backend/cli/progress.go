package cli

import (
	"fmt"
	"sync"
)

// progress shows on a terminal's stderr which integration is being
// checked: one line, rewritten in place, cleared before the results.
type progress struct {
	c       *cmdCtx
	mu      sync.Mutex
	running []string
	done    int
}

func newProgress(c *cmdCtx) *progress { return &progress{c: c} }

// update is called from the checking goroutines as each check starts and
// ends.
func (p *progress) update(name string, done bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if done {
		p.done++
		for i, n := range p.running {
			if n == name {
				p.running = append(p.running[:i], p.running[i+1:]...)
				break
			}
		}
	} else {
		p.running = append(p.running, name)
	}
	if len(p.running) == 0 {
		fmt.Fprint(p.c.env.Stderr, "\r\033[K")
		return
	}
	fmt.Fprintf(p.c.env.Stderr, "\r\033[K%s", p.c.t("cli.msg.checking", "name", p.running[0], "done", fmt.Sprint(p.done)))
}

// clear erases the progress line.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.c.env.Stderr, "\r\033[K")
}
