package services

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"relink/backend/integration"
	"relink/backend/transport"
)

// Settings are the user's preferences, stored as one JSON value in the
// store's settings table.
type Settings struct {
	Language             string `json:"language"` // "" follows the OS locale
	Notifications        bool   `json:"notifications"`
	CloseToTray          bool   `json:"closeToTray"`
	OpenAtLogin          bool   `json:"openAtLogin"`
	RefreshMarginMinutes int    `json:"refreshMarginMinutes"`
	RetentionDays        int    `json:"retentionDays"`
	CheckIntervalMinutes int    `json:"checkIntervalMinutes"`
	MonitoringPaused     bool   `json:"monitoringPaused"`
	// MetricsAddress is where the running app serves Prometheus metrics
	// (host:port on loopback); "" serves none.
	MetricsAddress string `json:"metricsAddress"`
	// ExtraCAFile is a PEM file of roots trusted beside the system's, for
	// a gateway that inspects TLS with its own CA ("" for none).
	ExtraCAFile string `json:"extraCAFile"`
}

// DefaultSettings are what a new user gets.
func DefaultSettings() Settings {
	return Settings{
		Notifications:        true,
		CloseToTray:          true,
		RefreshMarginMinutes: 10,
		RetentionDays:        365,
		CheckIntervalMinutes: 15,
	}
}

const settingsKey = "app.settings"

// Validate rejects values the app cannot honour, naming the field.
func (s Settings) Validate(languages []string) error {
	bad := func(field string) error {
		return integration.NewProblem("error.field_invalid", "field", field)
	}
	if s.Language != "" {
		ok := false
		for _, l := range languages {
			ok = ok || l == s.Language
		}
		if !ok {
			return bad("language")
		}
	}
	switch {
	case s.RefreshMarginMinutes < 1 || s.RefreshMarginMinutes > 24*60:
		return bad("refreshMarginMinutes")
	case s.RetentionDays < 1 || s.RetentionDays > 3650:
		return bad("retentionDays")
	case s.CheckIntervalMinutes < 1 || s.CheckIntervalMinutes > 24*60:
		return bad("checkIntervalMinutes")
	case s.ExtraCAFile != "" && (!filepath.IsAbs(s.ExtraCAFile) || transport.CheckFile(s.ExtraCAFile) != nil):
		// Checked when saved, so a typo is caught here rather than as a
		// TLS failure on every check.
		return integration.NewProblem("error.extra_ca_invalid", "field", "extraCAFile", "path", s.ExtraCAFile)
	}
	if s.MetricsAddress != "" {
		return CheckMetricsAddr(s.MetricsAddress)
	}
	return nil
}

// CheckMetricsAddr accepts host:port on a loopback address only: the
// metrics name every integration and its state, which stay on this
// machine unless the user's own exporter forwards them.
func CheckMetricsAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return integration.NewError(integration.ErrInvalid, err, "error.metrics_addr", "addr", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return integration.NewError(integration.ErrInvalid, err, "error.metrics_addr", "addr", addr)
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return integration.NewError(integration.ErrInvalid, nil, "error.metrics_loopback", "addr", addr)
	}
	return nil
}

// Settings returns the saved settings, or the defaults.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	out := DefaultSettings()
	raw, ok, err := s.store.Setting(ctx, settingsKey)
	if err != nil {
		return out, fmt.Errorf("load settings: %w", err)
	}
	if ok {
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			return DefaultSettings(), nil
		}
	}
	return out, nil
}

// SaveSettings validates and stores settings and tells every listener.
func (s *Service) SaveSettings(ctx context.Context, in Settings) (Settings, error) {
	if err := s.writable(ctx); err != nil {
		return Settings{}, err
	}
	if err := in.Validate(s.i18n.Languages()); err != nil {
		return Settings{}, err
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return Settings{}, fmt.Errorf("encode settings: %w", err)
	}
	if err := s.store.SetSetting(ctx, settingsKey, string(raw)); err != nil {
		return Settings{}, fmt.Errorf("save settings: %w", err)
	}
	s.applySettings(in)
	s.setExtraCA(in.ExtraCAFile)
	s.emit(EventSettingsChanged, in)
	for _, f := range s.settingsListeners() {
		f(in)
	}
	return in, nil
}

// applySettings puts the settings the services themselves follow into effect.
func (s *Service) applySettings(st Settings) {
	s.tokens.SetMargin(time.Duration(st.RefreshMarginMinutes) * time.Minute)
	s.names.SetLanguage(s.languageOf(st))
}
