package i18n

import (
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"
)

var updateZones = flag.Bool("update-zones", false, "rewrite testdata/zones.json from LocalZone")

const zonesFixture = "testdata/zones.json"

// zonesFile is testdata/zones.json: zones as LocalZone gives them and
// instants with their wall-clock time there, which the page's formatDate
// is tested against (frontend/src/lib/zone.test.ts).
type zonesFile struct {
	Comment string     `json:"_comment"`
	Cases   []zoneCase `json:"cases"`
}

type zoneCase struct {
	Zone     Zone        `json:"zone"`
	Instants []wallClock `json:"instants"`
}

type wallClock struct {
	Instant string `json:"instant"` // RFC 3339 in UTC, as Go sends times
	Local   string `json:"local"`   // 2006-01-02 15:04 in the zone
}

// Zones with DST on either hemisphere, a half-hour DST, a half-hour
// offset without DST, a zone whose rules changed, and UTC.
var fixtureZones = []string{"America/New_York", "Europe/Madrid", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns", "Europe/Moscow", "UTC"}

func TestLocalZoneGivesEveryInstantItsOffset(t *testing.T) {
	from, to := time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range fixtureZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		z := LocalZone(loc, from, to)
		if name != "UTC" && name != "Asia/Kolkata" && len(z.Offsets) < 3 {
			t.Errorf("%s: %d offsets; want its DST transitions", name, len(z.Offsets))
		}
		// Every 7 hours and around each transition, the table's offset is Go's.
		check := func(at time.Time) {
			_, want := at.In(loc).Zone()
			if got := offsetAt(z, at.UnixMilli()); got != want {
				t.Errorf("%s at %s: offset %d; want %d", name, at.Format(time.RFC3339), got, want)
			}
		}
		for at := from; at.Before(to); at = at.Add(7 * time.Hour) {
			check(at)
		}
		for _, o := range z.Offsets[1:] {
			check(time.UnixMilli(o.From))
			check(time.UnixMilli(o.From - 1))
		}
	}
}

// offsetAt is the page's lookup (zone.ts), for the test.
func offsetAt(z Zone, ms int64) int {
	off := z.Offsets[0].Seconds
	for _, o := range z.Offsets {
		if o.From <= ms {
			off = o.Seconds
		}
	}
	return off
}

// TestZonesFixtureIsCurrent: the page is tested against what LocalZone
// gives now; -update-zones rewrites the fixture.
func TestZonesFixtureIsCurrent(t *testing.T) {
	from, to := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	f := zonesFile{Comment: "Written by backend/i18n zone_test.go (go test ./backend/i18n -update-zones); frontend/src/lib/zone.test.ts renders each instant with the zone and expects its local time."}
	for _, name := range fixtureZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		c := zoneCase{Zone: LocalZone(loc, from, to)}
		instants := []time.Time{time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC), time.Date(2016, 2, 29, 12, 0, 0, 0, time.UTC), time.Date(2030, 12, 31, 23, 30, 0, 0, time.UTC)}
		for _, o := range c.Zone.Offsets[1:] {
			at := time.UnixMilli(o.From)
			instants = append(instants, at, at.Add(-time.Minute))
		}
		for _, at := range instants {
			c.Instants = append(c.Instants, wallClock{Instant: at.UTC().Format(time.RFC3339), Local: at.In(loc).Format("2006-01-02 15:04")})
		}
		f.Cases = append(f.Cases, c)
	}
	want, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *updateZones {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(zonesFixture, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(zonesFixture)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is not what LocalZone gives: go test ./backend/i18n -update-zones", zonesFixture)
	}
}
