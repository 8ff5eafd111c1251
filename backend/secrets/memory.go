package secrets

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// Memory is an in-process Backend for unit tests and fault injection. It
// is never used by the app: there is no plaintext fallback.
type Memory struct {
	mu    sync.Mutex
	items map[string]string
	// Fail, when set, is returned by every call whose op it names
	// ("get", "set", "delete"), letting tests break the keychain mid-way.
	Fail func(op, user string) error
	// Delay makes every call slow, to exercise timeouts.
	Delay time.Duration
	// Limit, when > 0, rejects values longer than it like Windows does.
	Limit int
}

// NewMemory returns an empty in-memory keychain.
func NewMemory() *Memory { return &Memory{items: map[string]string{}} }

func (m *Memory) hook(op, user string) error {
	if m.Delay > 0 {
		time.Sleep(m.Delay)
	}
	m.mu.Lock()
	fail := m.Fail
	m.mu.Unlock()
	if fail != nil {
		return fail(op, user)
	}
	return nil
}

// SetFail replaces the failure hook safely while calls are running.
func (m *Memory) SetFail(f func(op, user string) error) {
	m.mu.Lock()
	m.Fail = f
	m.mu.Unlock()
}

func (m *Memory) Get(service, user string) (string, error) {
	if err := m.hook("get", user); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[service+"\x00"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (m *Memory) Set(service, user, password string) error {
	if err := m.hook("set", user); err != nil {
		return err
	}
	if m.Limit > 0 && len(password) > m.Limit {
		return keyring.ErrSetDataTooBig
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[service+"\x00"+user] = password
	return nil
}

func (m *Memory) Delete(service, user string) error {
	if err := m.hook("delete", user); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := service + "\x00" + user
	if _, ok := m.items[k]; !ok {
		return keyring.ErrNotFound
	}
	delete(m.items, k)
	return nil
}

// Len is the number of stored items (parts included).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// Keys returns the names of the items stored under service, sorted, so
// tests can see exactly what a write left behind.
func (m *Memory) Keys(service string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.items {
		if user, ok := strings.CutPrefix(k, service+"\x00"); ok {
			out = append(out, user)
		}
	}
	sort.Strings(out)
	return out
}

// Values returns every stored value (hygiene scans in tests).
func (m *Memory) Values() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.items))
	for _, v := range m.items {
		out = append(out, v)
	}
	return out
}
