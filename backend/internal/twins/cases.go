package twins

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Where a failure case answers.
const (
	AtToken     = "token"
	AtProbe     = "probe"
	AtData      = "data"
	AtRevoke    = "revoke"
	AtDiscovery = "discovery"
)

// Case is one documented failure of a provider (a fixture in
// backend/catalog/testdata/dialects/<provider-id>.json): the twin answers
// At with Status, Headers and Body, and Relink should say Want.
type Case struct {
	Name    string            `json:"name"`
	Source  string            `json:"source"`
	At      string            `json:"at"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body"`
	Want    Want              `json:"want"`
}

// Want is what `relink check --json` should report for a case.
type Want struct {
	Status  string `json:"status"`
	Cause   string `json:"cause"`
	Problem string `json:"problem"`
}

// LoadCases reads every <provider-id>.json in dir. A missing dir is no
// cases; a malformed case is an error naming its file and name.
func LoadCases(dir string) (map[string][]Case, error) {
	out := map[string][]Case{}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cases: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read cases: %w", err)
		}
		var cs []Case
		if err := json.Unmarshal(b, &cs); err != nil {
			return nil, fmt.Errorf("cases %s: %w", e.Name(), err)
		}
		for _, c := range cs {
			if err := c.validate(); err != nil {
				return nil, fmt.Errorf("cases %s: %q: %w", e.Name(), c.Name, err)
			}
		}
		out[strings.TrimSuffix(e.Name(), ".json")] = cs
	}
	return out, nil
}

func (c Case) validate() error {
	switch {
	case c.Name == "":
		return errors.New("no name")
	case !strings.HasPrefix(c.Source, "https://"):
		return errors.New("source must be the provider's documentation page (https URL)")
	case c.Status < 100 || c.Status > 599:
		return fmt.Errorf("status %d is not an HTTP status", c.Status)
	case c.Want.Status == "":
		return errors.New("want.status is empty")
	}
	switch c.At {
	case AtToken, AtProbe, AtData, AtRevoke, AtDiscovery:
		return nil
	}
	return fmt.Errorf("at %q is not one of token, probe, data, revoke, discovery", c.At)
}

// Providers lists the provider ids with cases, sorted.
func Providers(cases map[string][]Case) []string {
	ids := make([]string, 0, len(cases))
	for id := range cases {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
