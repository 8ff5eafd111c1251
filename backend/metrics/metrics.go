// Package metrics exposes every integration's state in the Prometheus
// text format: printed once by `relink check --prometheus` (for
// node_exporter's textfile collector) or served by the running app on a
// loopback address the user opts into.
package metrics

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"relink/backend/integration"
	"relink/backend/services"
)

// Lister lists the integrations as the window and the CLI show them.
type Lister interface {
	ListIntegrations(ctx context.Context) ([]services.IntegrationView, error)
}

// A family is one metric: a gauge per integration, labelled id, name and
// provider (status also by status and cause). The text exposition format
// is small and stable, so Relink writes it itself rather than carry
// client_golang and protobuf in a desktop binary (bench/results.md counts
// its size and memory); Prometheus' own parser and promtool check the
// output in the tests.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
type family struct {
	name, help string
	// sample gives the value and extra labels for v; ok false leaves v out.
	sample func(v services.IntegrationView) (value float64, extra []string, ok bool)
}

var families = []family{
	{"relink_hard_expiry_timestamp_seconds", "When access ends for good unless someone reauthorizes (Unix seconds).",
		func(v services.IntegrationView) (float64, []string, bool) { return unix(v.RefreshExpiresAt) }},
	{"relink_integration_healthy", "1 when the integration works now (connected or expiring), else 0.",
		func(v services.IntegrationView) (float64, []string, bool) { return healthy(v.Status), nil, true }},
	{"relink_integration_status", "1 for the integration's current status and cause (the series' labels).",
		func(v services.IntegrationView) (float64, []string, bool) {
			return 1, []string{"status", string(v.Status), "cause", string(v.Cause)}, true
		}},
	{"relink_last_check_timestamp_seconds", "When Relink last checked the integration (Unix seconds).",
		func(v services.IntegrationView) (float64, []string, bool) { return unix(v.LastChecked) }},
	{"relink_token_expiry_timestamp_seconds", "When the current access token expires (Unix seconds); Relink refreshes it before then.",
		func(v services.IntegrationView) (float64, []string, bool) { return unix(v.AccessExpiresAt) }},
}

// unix is a time as a sample. A time Relink does not know is left out,
// never sent as 0 (which an alert rule would read as "expired in 1970").
func unix(t *time.Time) (float64, []string, bool) {
	if t == nil || t.IsZero() {
		return 0, nil, false
	}
	return float64(t.UnixMilli()) / 1000, nil, true
}

func healthy(s integration.Status) float64 {
	if s == integration.StatusConnected || s == integration.StatusExpiring {
		return 1
	}
	return 0
}

// labelValue escapes a label value as the text format wants it.
var labelValue = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// WriteText writes views in the Prometheus text exposition format, as
// client_golang would: families by name, labels by name, a family with no
// sample left out.
func WriteText(w io.Writer, views []services.IntegrationView) error {
	bw := bufio.NewWriter(w)
	for _, f := range families {
		described := false
		for _, v := range views {
			value, extra, ok := f.sample(v)
			if !ok {
				continue
			}
			if !described {
				bw.WriteString("# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " gauge\n")
				described = true
			}
			labels := append([][2]string{{"id", v.ID}, {"name", v.Name}, {"provider", v.Provider}}, pairs(extra)...)
			slices.SortFunc(labels, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
			bw.WriteString(f.name + "{")
			for i, l := range labels {
				if i > 0 {
					bw.WriteString(",")
				}
				bw.WriteString(l[0] + `="` + labelValue.Replace(l[1]) + `"`)
			}
			bw.WriteString("} " + strconv.FormatFloat(value, 'g', -1, 64) + "\n")
		}
	}
	return bw.Flush()
}

func pairs(kv []string) [][2]string {
	var out [][2]string
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, [2]string{kv[i], kv[i+1]})
	}
	return out
}

// Serve serves /metrics on addr until ctx ends; it returns the bound
// address (port 0 picks one) and a channel with the server's end.
func Serve(ctx context.Context, addr string, l Lister) (net.Addr, <-chan error, error) {
	if err := services.CheckMetricsAddr(addr); err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		// Every scrape reads the current states: nothing cached, nothing stale.
		views, err := l.ListIntegrations(r.Context())
		if err != nil {
			http.Error(w, "list integrations: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		WriteText(w, views)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, integration.NewError(integration.ErrInvalid, err, "error.metrics_listen", "addr", addr)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	return ln.Addr(), done, nil
}
