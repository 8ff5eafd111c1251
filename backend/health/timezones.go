package health

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	// Zone rules inside the binary: Windows has no system tz database,
	// and a missing zone must not turn into "UTC" by accident.
	_ "time/tzdata"
)

// Commerce Intelligence's Update Cycle Status names the client's time zone
// only by an abbreviation ("timezoneAbbreviation": "EST") and gives times
// as "YYYY-MM-DD HH:mm:ss" in that zone:
// https://developer.adobe.com/commerce/services/reporting/update-cycle/
// An abbreviation is not a zone: "CST" is Chicago, Shanghai or Havana;
// "IST" India, Ireland or Israel. This table maps the common ones to the
// IANA zones that use them today (tzdata's own abbreviations); where more
// than one zone does, Relink asks the user instead of picking one, and a
// zone set in the integration's settings always wins.
var zoneAbbreviations = map[string][]string{
	"UTC": {"UTC"},
	// GMT is London in winter, and also plain UTC (no summer time).
	"GMT": {"Europe/London", "UTC"},
	"BST": {"Europe/London"},
	"WET": {"Europe/Lisbon"}, "WEST": {"Europe/Lisbon"},
	// Every EU zone on CET has followed the same rules since 1996.
	"CET": {"Europe/Berlin"}, "CEST": {"Europe/Berlin"},
	// Egypt uses EET with other summer-time rules than the EU.
	"EET": {"Europe/Athens", "Africa/Cairo"}, "EEST": {"Europe/Athens", "Africa/Cairo"},
	"MSK":  {"Europe/Moscow"},
	"IST":  {"Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"},
	"PKT":  {"Asia/Karachi"},
	"HKT":  {"Asia/Hong_Kong"},
	"JST":  {"Asia/Tokyo"},
	"KST":  {"Asia/Seoul"},
	"AWST": {"Australia/Perth"},
	// Queensland and the Northern Territory keep standard time all year.
	"AEST": {"Australia/Sydney", "Australia/Brisbane"}, "AEDT": {"Australia/Sydney"},
	"ACST": {"Australia/Adelaide", "Australia/Darwin"}, "ACDT": {"Australia/Adelaide"},
	"NZST": {"Pacific/Auckland"}, "NZDT": {"Pacific/Auckland"},
	"HST":  {"Pacific/Honolulu"},
	"AKST": {"America/Anchorage"}, "AKDT": {"America/Anchorage"},
	"PST": {"America/Los_Angeles"}, "PDT": {"America/Los_Angeles"},
	// Arizona keeps MST all year.
	"MST": {"America/Denver", "America/Phoenix"}, "MDT": {"America/Denver"},
	"CST": {"America/Chicago", "Asia/Shanghai", "America/Havana"}, "CDT": {"America/Chicago", "America/Havana"},
	"EST": {"America/New_York"}, "EDT": {"America/New_York"},
	"AST": {"America/Halifax", "America/Puerto_Rico"}, "ADT": {"America/Halifax"},
	"NST": {"America/St_Johns"}, "NDT": {"America/St_Johns"},
}

// tzdata writes zones without a letter abbreviation as their offset.
var numericAbbreviation = regexp.MustCompile(`^([+-])(\d{2})(\d{2})?$`)

// ZoneChoice is what an abbreviation resolves to: a location, or the
// candidates the user must choose from (none when it is unknown).
type ZoneChoice struct {
	Location   *time.Location
	Name       string
	Candidates []string
}

// ResolveZone picks the zone for Commerce Intelligence's times: the
// user's zone when set (an IANA name), else the abbreviation when the
// table names exactly one zone for it, else no location.
func ResolveZone(userZone, abbreviation string) (ZoneChoice, error) {
	if userZone = strings.TrimSpace(userZone); userZone != "" {
		loc, err := time.LoadLocation(userZone)
		if err != nil || userZone == "Local" {
			return ZoneChoice{}, errBadZone
		}
		return ZoneChoice{Location: loc, Name: userZone}, nil
	}
	abbr := strings.ToUpper(strings.TrimSpace(abbreviation))
	if m := numericAbbreviation.FindStringSubmatch(abbr); m != nil {
		h, _ := strconv.Atoi(m[2])
		mins := 0
		if m[3] != "" {
			mins, _ = strconv.Atoi(m[3])
		}
		off := h*3600 + mins*60
		if m[1] == "-" {
			off = -off
		}
		return ZoneChoice{Location: time.FixedZone(abbr, off), Name: abbr}, nil
	}
	zones := zoneAbbreviations[abbr]
	if len(zones) != 1 {
		return ZoneChoice{Candidates: zones}, nil
	}
	loc, err := time.LoadLocation(zones[0])
	if err != nil {
		return ZoneChoice{}, err
	}
	return ZoneChoice{Location: loc, Name: zones[0]}, nil
}
