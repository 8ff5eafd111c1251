package desktop

import (
	"net/url"
	"regexp"
	"strings"
)

// LinkScheme is the URL scheme the desktop entry registers
// (x-scheme-handler/relink), so a link in a chat message, such as a team
// alert's, opens Relink.
const LinkScheme = "relink"

// integrationID matches the ids Relink makes (a slug and a random part);
// anything else in a link is refused rather than passed to the window.
var integrationID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,127}$`)

// ParseOpenLink reads relink://open/<id> and returns the integration id.
// ok is false for anything else, including other relink: URLs.
func ParseOpenLink(raw string) (id string, ok bool) {
	if !strings.HasPrefix(strings.ToLower(raw), LinkScheme+"://") {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || !strings.EqualFold(u.Host, "open") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	id = strings.TrimPrefix(u.Path, "/")
	if !integrationID.MatchString(id) {
		return "", false
	}
	return id, true
}
