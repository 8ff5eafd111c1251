// Package metrics exposes every integration's state in the Prometheus
// text format: printed once by `relink check --prometheus` (for
// node_exporter's textfile collector) or served by the running app on a
// loopback address the user opts into.
package metrics

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"relink/backend/integration"
	"relink/backend/services"
)

// Lister lists the integrations as the window and the CLI show them.
type Lister interface {
	ListIntegrations(ctx context.Context) ([]services.IntegrationView, error)
}

var (
	labels     = []string{"id", "name", "provider"}
	statusDesc = prometheus.NewDesc("relink_integration_status",
		"1 for the integration's current status and cause (the series' labels).",
		append(labels, "status", "cause"), nil)
	healthyDesc = prometheus.NewDesc("relink_integration_healthy",
		"1 when the integration works now (connected or expiring), else 0.", labels, nil)
	lastCheckDesc = prometheus.NewDesc("relink_last_check_timestamp_seconds",
		"When Relink last checked the integration (Unix seconds).", labels, nil)
	tokenExpiryDesc = prometheus.NewDesc("relink_token_expiry_timestamp_seconds",
		"When the current access token expires (Unix seconds); Relink refreshes it before then.", labels, nil)
	hardExpiryDesc = prometheus.NewDesc("relink_hard_expiry_timestamp_seconds",
		"When access ends for good unless someone reauthorizes (Unix seconds).", labels, nil)
)

// Collector is a prometheus.Collector over a Lister: every scrape reads
// the current states, so nothing is cached or goes stale.
type Collector struct {
	List Lister
}

// Describe sends the metric descriptions.
func (c Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{statusDesc, healthyDesc, lastCheckDesc, tokenExpiryDesc, hardExpiryDesc} {
		ch <- d
	}
}

// Collect sends one sample set per integration.
func (c Collector) Collect(ch chan<- prometheus.Metric) {
	views, err := c.List.ListIntegrations(context.Background())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(statusDesc, fmt.Errorf("list integrations: %w", err))
		return
	}
	Samples(views, ch)
}

// Samples sends the metrics of views.
func Samples(views []services.IntegrationView, ch chan<- prometheus.Metric) {
	for _, v := range views {
		l := []string{v.ID, v.Name, v.Provider}
		ch <- prometheus.MustNewConstMetric(statusDesc, prometheus.GaugeValue, 1, append(l, string(v.Status), string(v.Cause))...)
		ch <- prometheus.MustNewConstMetric(healthyDesc, prometheus.GaugeValue, healthy(v.Status), l...)
		for _, ts := range []struct {
			d *prometheus.Desc
			t *time.Time
		}{{lastCheckDesc, v.LastChecked}, {tokenExpiryDesc, v.AccessExpiresAt}, {hardExpiryDesc, v.RefreshExpiresAt}} {
			// A time Relink does not know is left out, never sent as 0
			// (which an alert rule would read as "expired in 1970").
			if ts.t != nil && !ts.t.IsZero() {
				ch <- prometheus.MustNewConstMetric(ts.d, prometheus.GaugeValue, float64(ts.t.UnixMilli())/1000, l...)
			}
		}
	}
}

func healthy(s integration.Status) float64 {
	if s == integration.StatusConnected || s == integration.StatusExpiring {
		return 1
	}
	return 0
}

// WriteText writes views in the Prometheus text exposition format.
func WriteText(w io.Writer, views []services.IntegrationView) error {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(staticCollector(views)); err != nil {
		return err
	}
	mfs, err := reg.Gather()
	if err != nil {
		return fmt.Errorf("gather metrics: %w", err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("write metrics: %w", err)
		}
	}
	return nil
}

type staticCollector []services.IntegrationView

func (s staticCollector) Describe(ch chan<- *prometheus.Desc) { Collector{}.Describe(ch) }
func (s staticCollector) Collect(ch chan<- prometheus.Metric) { Samples(s, ch) }

// Serve serves /metrics on addr until ctx ends; it returns the bound
// address (port 0 picks one) and a channel with the server's end.
func Serve(ctx context.Context, addr string, l Lister) (net.Addr, <-chan error, error) {
	if err := services.CheckMetricsAddr(addr); err != nil {
		return nil, nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(Collector{List: l})
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
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
