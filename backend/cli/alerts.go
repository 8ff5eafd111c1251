package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"relink/backend/alerts"
	"relink/backend/store"
)

// Alerts manages team alert destinations; *alerts.Manager satisfies it.
type Alerts interface {
	Add(ctx context.Context, label string, f alerts.Format, url string) (store.AlertDestination, error)
	List(ctx context.Context) ([]store.AlertDestination, error)
	Remove(ctx context.Context, ref string) (store.AlertDestination, error)
	Test(ctx context.Context, ref string) (store.AlertDestination, alerts.Result, error)
}

// runAlerts is `relink alerts add|list|test|remove`.
func runAlerts(ctx context.Context, c *cmdCtx) int {
	if len(c.args) == 0 || c.args[0] == "-h" || c.args[0] == "--help" {
		cmd, _ := find("alerts")
		c.printCommandHelp(c.env.Stdout, cmd, nil)
		if len(c.args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	sub := c.args[0]
	c.args = c.args[1:]
	switch sub {
	case "add":
		return alertsAdd(ctx, c)
	case "list":
		return alertsList(ctx, c)
	case "test":
		return alertsTest(ctx, c)
	case "remove":
		return alertsRemove(ctx, c)
	}
	return c.fail(usage("cli.error.alerts_subcommand", "command", sub))
}

// oneAlert parses flags and the single NAME|ID argument, then opens the
// data.
func (c *cmdCtx) oneAlert(ctx context.Context, name string, setup func(fs *flag.FlagSet)) (string, int, bool) {
	pos, code, ok := c.flags("alerts", setup)
	if !ok {
		return "", code, false
	}
	if len(pos) != 1 {
		return "", c.fail(usage("cli.error.need_alert", "command", name)), false
	}
	if err := c.open(ctx); err != nil {
		return "", c.fail(err), false
	}
	return pos[0], 0, true
}

func alertsAdd(ctx context.Context, c *cmdCtx) int {
	var format string
	label, code, ok := c.oneAlert(ctx, "add", func(fs *flag.FlagSet) {
		fs.StringVar(&format, "format", "", c.t("cli.flag.alert_format"))
	})
	if !ok {
		return code
	}
	if format == "" {
		return c.fail(usage("cli.error.flag_needs_value", "flag", "--format"))
	}
	// The URL grants posting to the channel: like every secret it is
	// read from stdin, never from an argument that shell history keeps.
	u, err := c.readSecret(ctx, c.t("cli.msg.alert_url_prompt"))
	if err != nil {
		return c.fail(err)
	}
	d, err := c.core.Alerts().Add(ctx, label, alerts.Format(format), u)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.writeJSON(d)
	}
	fmt.Fprintln(c.env.Stdout, c.t("cli.msg.alert_added", "name", d.Label))
	return ExitOK
}

func alertsList(ctx context.Context, c *cmdCtx) int {
	if _, code, ok := c.opened(ctx, "alerts", nil, 0); !ok {
		return code
	}
	ds, err := c.core.Alerts().List(ctx)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		if ds == nil {
			ds = []store.AlertDestination{}
		}
		return c.writeJSON(ds)
	}
	if len(ds) == 0 {
		fmt.Fprintln(c.env.Stdout, c.t("cli.msg.no_alerts"))
		return ExitOK
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.t("cli.col.name"), c.t("cli.col.format"), c.t("cli.col.state"),
		c.t("cli.col.pending"), c.t("cli.col.last_delivered"))
	failing := false
	for _, d := range ds {
		state := c.t("cli.alert.ok")
		if !d.FailingSince.IsZero() {
			state, failing = c.t("cli.alert.failing", "reason", d.LastError), true
		}
		last := "—"
		if !d.LastDeliveredAt.IsZero() {
			last = d.LastDeliveredAt.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Label, d.Format, state, strconv.Itoa(d.Pending), last)
	}
	tw.Flush()
	if failing {
		return ExitAttention
	}
	return ExitOK
}

func alertsTest(ctx context.Context, c *cmdCtx) int {
	ref, code, ok := c.oneAlert(ctx, "test", nil)
	if !ok {
		return code
	}
	d, res, err := c.core.Alerts().Test(ctx, ref)
	if err != nil {
		return c.fail(err)
	}
	delivered := res.Status >= 200 && res.Status <= 299
	if c.json {
		c.writeJSON(map[string]any{"destination": d.Label, "status": res.Status, "body": res.Body, "delivered": delivered})
	} else {
		fmt.Fprintln(c.env.Stdout, c.t("cli.msg.alert_test", "name", d.Label, "status", strconv.Itoa(res.Status), "body", res.Body))
	}
	if !delivered {
		return ExitFailed
	}
	return ExitOK
}

func alertsRemove(ctx context.Context, c *cmdCtx) int {
	ref, code, ok := c.oneAlert(ctx, "remove", nil)
	if !ok {
		return code
	}
	d, err := c.core.Alerts().Remove(ctx, ref)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.writeJSON(d)
	}
	fmt.Fprintln(c.env.Stdout, c.t("cli.msg.alert_removed", "name", d.Label))
	return ExitOK
}
