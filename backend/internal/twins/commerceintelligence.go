// Package twins holds stand-ins for providers' APIs that answer the way
// their documentation says, for tests that exercise Relink's real
// requests.
package twins

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Twin is a provider stand-in: the host names it answers for and the
// handler that answers.
type Twin interface {
	Hosts() []string
	http.Handler
}

// UpdateJob is a completed update as the Update Cycle Status API reports
// it: times in the client's zone as "YYYY-MM-DD HH:mm:ss".
type UpdateJob struct {
	ID         int64
	TypeID     int
	TypeName   string
	Start, End string
	StatusID   int
	StatusName string
}

// CommerceIntelligence twins Adobe Commerce Intelligence's reporting APIs:
//   - Update Cycle Status, GET https://api.rjmetrics.com/0.1/client/<id>/fullupdatestatus
//     with X-RJM-API-Key: 200 with the last completed update and the
//     client's zone abbreviation; 403 for a missing or wrong key, a key
//     without access to the client, an unknown client or a malformed
//     request; 429 over the rate limit
//     (https://developer.adobe.com/commerce/services/reporting/update-cycle/).
//     Export API keys are also bound to allowed IP addresses
//     (https://developer.adobe.com/commerce/services/reporting/).
//   - Data Import API, https://connect.rjmetrics.com/ (200 when up) and
//     GET /v2/client/<id>/authenticate?apikey=<key>: 200, or 401
//     "Authorization failed" (https://developer.adobe.com/commerce/services/reporting/
//     and .../reporting/import-api/).
type CommerceIntelligence struct {
	mu         sync.Mutex
	clientID   int
	exportKey  string
	importKey  string
	last       *UpdateJob
	abbr       string
	blocked    bool // the caller's address is outside the key's allow-list
	rateLimit  bool
	statusHits int
}

// NewCommerceIntelligence serves one client with its two keys.
func NewCommerceIntelligence(clientID int, exportKey, importKey string) *CommerceIntelligence {
	return &CommerceIntelligence{clientID: clientID, exportKey: exportKey, importKey: importKey, abbr: "EST"}
}

// Hosts are the API's real host names.
func (c *CommerceIntelligence) Hosts() []string {
	return []string{"api.rjmetrics.com", "connect.rjmetrics.com"}
}

// SetLastUpdate sets the last completed update (nil: none yet) and the
// zone abbreviation its times are in.
func (c *CommerceIntelligence) SetLastUpdate(job *UpdateJob, abbreviation string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last, c.abbr = job, abbreviation
}

// SetKeys replaces the valid keys (a rotated or deleted key).
func (c *CommerceIntelligence) SetKeys(exportKey, importKey string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exportKey, c.importKey = exportKey, importKey
}

// Block puts the caller outside the Export API key's allowed addresses.
func (c *CommerceIntelligence) Block(b bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blocked = b
}

// RateLimit makes Update Cycle Status answer 429.
func (c *CommerceIntelligence) RateLimit(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rateLimit = on
}

// StatusRequests counts Update Cycle Status requests.
func (c *CommerceIntelligence) StatusRequests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.statusHits
}

func (c *CommerceIntelligence) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	host, _, _ := strings.Cut(r.Host, ":")
	switch host {
	case "api.rjmetrics.com":
		c.updateStatus(w, r)
	case "connect.rjmetrics.com":
		c.importAPI(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (c *CommerceIntelligence) clientIn(path, prefix, suffix string) bool {
	id, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return false
	}
	if id, ok = strings.CutSuffix(id, suffix); !ok {
		return false
	}
	n, err := strconv.Atoi(id)
	return err == nil && n == c.clientID
}

func (c *CommerceIntelligence) updateStatus(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/fullupdatestatus") {
		// A malformed path is a 403 too, like everything refused.
		w.WriteHeader(http.StatusForbidden)
		return
	}
	c.statusHits++
	if c.rateLimit {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	key := r.Header.Get("X-RJM-API-Key")
	if r.Method != http.MethodGet || c.blocked || key == "" || key != c.exportKey || !c.clientIn(r.URL.Path, "/0.1/client/", "/fullupdatestatus") {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	type named struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	type job struct {
		ID     int64  `json:"id"`
		Type   named  `json:"type"`
		Start  string `json:"start"`
		End    string `json:"end"`
		Status named  `json:"status"`
	}
	out := struct {
		ClientID int    `json:"clientId"`
		Last     *job   `json:"lastCompletedUpdateJob"`
		WithSync *job   `json:"lastCompletedUpdateJobWithDataSync"`
		Abbr     string `json:"timezoneAbbreviation"`
	}{ClientID: c.clientID, Abbr: c.abbr}
	if l := c.last; l != nil {
		out.Last = &job{ID: l.ID, Type: named{l.TypeID, l.TypeName}, Start: l.Start, End: l.End, Status: named{l.StatusID, l.StatusName}}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (c *CommerceIntelligence) importAPI(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" {
		w.WriteHeader(http.StatusOK)
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/authenticate") {
		http.NotFound(w, r)
		return
	}
	// Only the status codes are documented, not the bodies.
	key := r.URL.Query().Get("apikey")
	if key == "" || key != c.importKey || !c.clientIn(r.URL.Path, "/v2/client/", "/authenticate") {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusOK)
}
