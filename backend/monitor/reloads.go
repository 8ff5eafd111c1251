package monitor

// reloads decides when a change of data_version reloads the window. This
// process's own writes change it too (the store writes through a pool of
// connections), on every tick while a sweep saves its results: reloading
// on each would send the whole list to the page every WatchEvery while
// the same results also arrive as status events. The first change after a
// quiet tick reloads at once, so another process's write (the CLI's)
// shows without delay; while changes go on, one more reload waits for the
// first quiet tick.
type reloads struct {
	last          int64
	busy, pending bool
}

// seen takes one tick's data_version and reports whether to reload now.
func (r *reloads) seen(v int64) bool {
	if v != r.last {
		r.last = v
		if r.busy {
			r.pending = true
			return false
		}
		r.busy = true
		return true
	}
	r.busy = false
	if r.pending {
		r.pending = false
		return true
	}
	return false
}
