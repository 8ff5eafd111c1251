package i18n

import "time"

// Zone is the local time zone as the window renders times: the UTC offset
// in effect from each instant on. The page shifts instants by these
// offsets instead of asking JavaScript for local time, which makes
// WebKit's web process load ICU's time zone data (1.3 MiB of a window
// with any integration in its list, bench/scale).
type Zone struct {
	Name string `json:"name"`
	// Offsets ascend by From; the first also applies before its From, the
	// last after the range (far past and future, zone rules unchanged).
	Offsets []ZoneOffset `json:"offsets"`
}

// ZoneOffset is an offset and the instant it starts.
type ZoneOffset struct {
	From    int64 `json:"from"`    // Unix milliseconds
	Seconds int   `json:"seconds"` // east of UTC
}

// ZoneSpan is how far around now a Zone covers: as far back as history
// and as far ahead as credentials' expiries go in practice.
const ZoneSpan = 20 * 365 * 24 * time.Hour

// LocalZone lists loc's offsets from from to to, one per transition.
func LocalZone(loc *time.Location, from, to time.Time) Zone {
	t := from.In(loc)
	_, off := t.Zone()
	z := Zone{Name: loc.String(), Offsets: []ZoneOffset{{From: t.UnixMilli(), Seconds: off}}}
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.After(to) {
			return z
		}
		t = end
		_, off = t.Zone()
		z.Offsets = append(z.Offsets, ZoneOffset{From: t.UnixMilli(), Seconds: off})
	}
}
