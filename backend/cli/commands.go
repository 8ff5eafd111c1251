package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/metrics"
	"relink/backend/services"
)

// Core is the part of the services layer the command line uses.
type Core interface {
	ListProviders() []services.ProviderView
	Redirect(providerID string, settings map[string]string) (services.RedirectView, error)
	ListIntegrations(ctx context.Context) ([]services.IntegrationView, error)
	Find(ctx context.Context, ref string) (services.IntegrationView, error)
	Add(ctx context.Context, req services.AddRequest) (services.IntegrationView, error)
	Reauthorize(ctx context.Context, id string, opts services.ReauthOptions) (services.IntegrationView, error)
	SubmitSecret(ctx context.Context, id, secret string) (services.IntegrationView, error)
	AcceptHostKey(ctx context.Context, id, fingerprint string) (services.IntegrationView, error)
	Check(ctx context.Context, ids ...string) ([]services.IntegrationView, error)
	Token(ctx context.Context, id string) (string, error)
	History(ctx context.Context, f services.HistoryFilter) (services.HistoryPage, error)
	Remove(ctx context.Context, id string) (services.RemoveResult, error)
	Diagnostics(ctx context.Context, id string, w io.Writer) error
	Storage() services.StorageView
	Alerts() Alerts
}

// one resolves the single NAME|ID argument of a command.
func (c *cmdCtx) one(ctx context.Context, pos []string) (services.IntegrationView, error) {
	if len(pos) != 1 {
		return services.IntegrationView{}, usage("cli.error.need_integration")
	}
	if err := c.open(ctx); err != nil {
		return services.IntegrationView{}, err
	}
	return c.core.Find(ctx, pos[0])
}

func (c *cmdCtx) writeJSON(v any) int {
	enc := json.NewEncoder(c.env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return c.fail(err)
	}
	return ExitOK
}

func runVersion(_ context.Context, c *cmdCtx) int {
	if _, code, ok := c.flags("version", nil); !ok {
		return code
	}
	if c.json {
		return c.writeJSON(map[string]string{"version": c.env.Version})
	}
	fmt.Fprintf(c.env.Stdout, "relink %s\n", c.env.Version)
	return ExitOK
}

func runProviders(ctx context.Context, c *cmdCtx) int {
	pos, code, ok := c.flags("providers", nil)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		return c.fail(usage("cli.error.unexpected_arg", "arg", pos[1]))
	}
	if err := c.open(ctx); err != nil {
		return c.fail(err)
	}
	ps := c.core.ListProviders()
	if len(pos) == 1 {
		return c.showProvider(ps, pos[0])
	}
	if c.json {
		return c.writeJSON(ps)
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.t("cli.col.id"), c.t("cli.col.name"), c.t("cli.col.kind"), c.t("cli.col.settings"))
	for _, p := range ps {
		var fields []string
		for _, f := range p.Fields {
			name := f.Key
			if f.Secret {
				name += "(stdin)"
			} else if f.Required {
				name += "*"
			}
			fields = append(fields, name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ID, p.Name, c.t("kind."+string(p.Kind)), strings.Join(fields, " "))
	}
	tw.Flush()
	return ExitOK
}

func runAdd(ctx context.Context, c *cmdCtx) int {
	var (
		name                         string
		sets, secretFiles            multiFlag
		secretStdin, noAuth, noBrows bool
	)
	pos, code, ok := c.flags("add", func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", c.t("cli.flag.name"))
		fs.Var(&sets, "set", c.t("cli.flag.set"))
		fs.BoolVar(&secretStdin, "secret-stdin", false, c.t("cli.flag.secret_stdin"))
		fs.Var(&secretFiles, "secret-file", c.t("cli.flag.secret_file"))
		fs.BoolVar(&noAuth, "no-auth", false, c.t("cli.flag.no_auth"))
		fs.BoolVar(&noBrows, "no-browser", false, c.t("cli.flag.no_browser"))
	})
	if !ok {
		if code == ExitOK { // --help: and what to register, for `add PROVIDER --help`
			c.addHelpRedirect(ctx, sets)
		}
		return code
	}
	if len(pos) != 1 {
		return c.fail(usage("cli.error.need_provider"))
	}
	settings, err := parseSettings(sets)
	if err != nil {
		return c.fail(err)
	}
	req := services.AddRequest{Provider: pos[0], Name: name, Settings: settings}
	if req.Secrets, err = readSecretFiles(secretFiles); err != nil {
		return c.fail(err)
	}
	if secretStdin {
		if req.Secret, err = readSecret(c.env.Stdin); err != nil {
			return c.fail(err)
		}
	}
	if err := c.open(ctx); err != nil {
		return c.fail(err)
	}
	view, err := c.core.Add(ctx, req)
	if err != nil {
		return c.fail(err)
	}
	if view.Kind == integration.KindOAuth2 && !noAuth {
		if view, err = c.core.Reauthorize(ctx, view.ID, c.reauthOptions(noBrows, false)); err != nil {
			fmt.Fprintln(c.env.Stderr, c.t("cli.msg.added_not_authorized", "name", view.Name))
			return c.fail(err)
		}
	}
	return c.printResult(view)
}

func (c *cmdCtx) reauthOptions(noBrowser, device bool) services.ReauthOptions {
	return services.ReauthOptions{
		NoBrowser: noBrowser,
		Device:    device,
		OnURL: func(url string, opened bool) {
			if opened {
				fmt.Fprintln(c.env.Stderr, c.t("cli.msg.browser_opened"))
				return
			}
			fmt.Fprintln(c.env.Stderr, c.t("cli.msg.open_url"))
			fmt.Fprintln(c.env.Stderr, url)
		},
		OnDeviceCode: func(uri, code string) {
			fmt.Fprintln(c.env.Stderr, c.t("cli.msg.device_code", "url", uri, "code", code))
		},
		ConfirmAccount: func(previous, next string) bool {
			fmt.Fprintln(c.env.Stderr, c.t("cli.msg.account_changed", "previous", previous, "account", next))
			return true
		},
	}
}

// printResult prints one integration after add/reauth.
func (c *cmdCtx) printResult(v services.IntegrationView) int {
	if c.json {
		return c.writeJSON(v)
	}
	fmt.Fprintln(c.env.Stdout, c.t("cli.msg.integration_status", "name", v.Name, "status", c.t("status."+string(v.Status))))
	return ExitOK
}

// printHostKeyChanges shows both fingerprints of each changed bastion key
// and the exact command that accepts the new one.
func (c *cmdCtx) printHostKeyChanges(views []services.IntegrationView) {
	if c.json {
		return
	}
	for _, v := range views {
		if p := v.Problem; p != nil && p.Code == "problem.ssh_host_key_changed" {
			fmt.Fprintf(c.env.Stdout, "\n%s: %s\n  %s\n", v.Name, c.env.I18n.Problem(c.lang, p),
				c.t("cli.msg.accept_host_key", "name", v.Name, "new", p.Params["new"]))
		}
	}
}

func runList(ctx context.Context, c *cmdCtx) int {
	pos, code, ok := c.flags("list", nil)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return c.fail(usage("cli.error.unexpected_arg", "arg", pos[0]))
	}
	if err := c.open(ctx); err != nil {
		return c.fail(err)
	}
	views, err := c.core.ListIntegrations(ctx)
	if err != nil {
		return c.fail(err)
	}
	return c.printTable(views)
}

func (c *cmdCtx) printTable(views []services.IntegrationView) int {
	if c.json {
		if views == nil {
			views = []services.IntegrationView{}
		}
		return c.writeJSON(views)
	}
	if len(views) == 0 {
		fmt.Fprintln(c.env.Stdout, c.t("cli.msg.no_integrations"))
		return ExitOK
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
		c.t("cli.col.id"), c.t("cli.col.name"), c.t("cli.col.provider"), c.t("cli.col.kind"),
		c.t("cli.col.account"), c.t("cli.col.status"), c.t("cli.col.cause"),
		c.t("cli.col.last_checked"), c.t("cli.col.expiry"))
	for _, v := range views {
		cause := "-"
		if v.Cause != "" {
			cause = c.t("cause." + string(v.Cause) + ".short")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			v.ID, v.Name, v.Provider, c.t("kind."+string(v.Kind)), dash(v.Account),
			c.t("status."+string(v.Status)), cause, c.when(v.LastChecked), c.when(expiryOf(v)))
	}
	tw.Flush()
	c.printProblems(views)
	return ExitOK
}

func expiryOf(v services.IntegrationView) *time.Time {
	if v.RefreshExpiresAt != nil {
		return v.RefreshExpiresAt
	}
	return v.AccessExpiresAt
}

func (c *cmdCtx) when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runCheck(ctx context.Context, c *cmdCtx) int {
	var prom bool
	pos, code, ok := c.flags("check", func(fs *flag.FlagSet) {
		fs.BoolVar(&prom, "prometheus", false, c.t("cli.flag.prometheus"))
	})
	if !ok {
		return code
	}
	if prom && c.json {
		return c.fail(usage("cli.error.flags_exclusive", "a", "--json", "b", "--prometheus"))
	}
	if err := c.open(ctx); err != nil {
		return c.fail(err)
	}
	var ids []string
	for _, ref := range pos {
		v, err := c.core.Find(ctx, ref)
		if err != nil {
			return c.fail(err)
		}
		ids = append(ids, v.ID)
	}
	views, err := c.core.Check(ctx, ids...)
	if err != nil {
		return c.fail(err)
	}
	if prom {
		if err := metrics.WriteText(c.env.Stdout, views); err != nil {
			return c.fail(err)
		}
	} else if rc := c.printTable(views); rc != ExitOK {
		return rc
	}
	c.printHostKeyChanges(views)
	for _, v := range views {
		if integration.NeedsAttention(v.Status) {
			return ExitAttention
		}
	}
	return ExitOK
}

func runReauth(ctx context.Context, c *cmdCtx) int {
	var noBrowser, device, secretStdin bool
	var hostKey string
	pos, code, ok := c.flags("reauth", func(fs *flag.FlagSet) {
		fs.BoolVar(&noBrowser, "no-browser", false, c.t("cli.flag.no_browser"))
		fs.BoolVar(&device, "device", false, c.t("cli.flag.device"))
		fs.BoolVar(&secretStdin, "secret-stdin", false, c.t("cli.flag.secret_stdin"))
		fs.StringVar(&hostKey, "accept-host-key", "", c.t("cli.flag.accept_host_key"))
	})
	if !ok {
		return code
	}
	if hostKey != "" && !health.ValidFingerprint(hostKey) {
		return c.fail(usage("cli.error.fingerprint_format", "value", hostKey))
	}
	v, err := c.one(ctx, pos)
	if err != nil {
		return c.fail(err)
	}
	if hostKey != "" {
		if v, err = c.core.AcceptHostKey(ctx, v.ID, hostKey); err != nil {
			return c.fail(err)
		}
		return c.printResult(v)
	}
	if v.Kind != integration.KindOAuth2 {
		if !secretStdin && isTerminal(c.env.Stdin) {
			return c.fail(usage("cli.error.secret_stdin_required"))
		}
		secret, err := readSecret(c.env.Stdin)
		if err != nil {
			return c.fail(err)
		}
		if v, err = c.core.SubmitSecret(ctx, v.ID, secret); err != nil {
			return c.fail(err)
		}
		return c.printResult(v)
	}
	if v, err = c.core.Reauthorize(ctx, v.ID, c.reauthOptions(noBrowser, device)); err != nil {
		return c.fail(err)
	}
	return c.printResult(v)
}

func runToken(ctx context.Context, c *cmdCtx) int {
	pos, code, ok := c.flags("token", nil)
	if !ok {
		return code
	}
	v, err := c.one(ctx, pos)
	if err != nil {
		return c.fail(err)
	}
	tok, err := c.core.Token(ctx, v.ID)
	if err != nil {
		return c.fail(err)
	}
	// Nothing but the token on stdout, so `$(relink token x)` just works.
	fmt.Fprintln(c.env.Stdout, tok)
	return ExitOK
}

func runHistory(ctx context.Context, c *cmdCtx) int {
	var since time.Duration
	var limit int
	pos, code, ok := c.flags("history", func(fs *flag.FlagSet) {
		fs.DurationVar(&since, "since", 0, c.t("cli.flag.since"))
		fs.IntVar(&limit, "limit", 50, c.t("cli.flag.limit"))
	})
	if !ok {
		return code
	}
	if len(pos) > 1 {
		return c.fail(usage("cli.error.unexpected_arg", "arg", pos[1]))
	}
	if limit < 1 || limit > 1000 {
		return c.fail(usage("cli.error.bad_limit"))
	}
	if since < 0 {
		return c.fail(usage("cli.error.bad_since"))
	}
	if err := c.open(ctx); err != nil {
		return c.fail(err)
	}
	f := services.HistoryFilter{Limit: limit}
	if len(pos) == 1 {
		v, err := c.core.Find(ctx, pos[0])
		if err != nil {
			return c.fail(err)
		}
		f.IntegrationID = v.ID
	}
	if since > 0 {
		f.Since = time.Now().Add(-since).UTC().Format(time.RFC3339)
	}
	page, err := c.core.History(ctx, f)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		if page.Events == nil {
			page.Events = []integration.Event{}
		}
		return c.writeJSON(page.Events)
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.t("cli.col.time"), c.t("cli.col.name"), c.t("cli.col.event"), c.t("cli.col.status"), c.t("cli.col.cause"))
	for _, e := range page.Events {
		status := "-"
		if e.NewStatus != "" {
			status = c.t("status." + string(e.NewStatus))
		}
		cause := "-"
		if e.Cause != "" {
			cause = c.t("cause." + string(e.Cause) + ".short")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05"), e.Integration, c.t("event."+string(e.Kind)), status, cause)
	}
	tw.Flush()
	return ExitOK
}

func runRemove(ctx context.Context, c *cmdCtx) int {
	var yes bool
	pos, code, ok := c.flags("remove", func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, c.t("cli.flag.yes"))
	})
	if !ok {
		return code
	}
	v, err := c.one(ctx, pos)
	if err != nil {
		return c.fail(err)
	}
	if !yes {
		if !isTerminal(c.env.Stdin) {
			return c.fail(usage("cli.error.confirm_needs_yes"))
		}
		fmt.Fprint(c.env.Stderr, c.t("cli.msg.confirm_remove", "name", v.Name)+" ")
		var answer string
		fmt.Fscanln(c.env.Stdin, &answer)
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" && a != "s" && a != "si" && a != "sí" {
			fmt.Fprintln(c.env.Stderr, c.t("cli.msg.cancelled"))
			return ExitFailed
		}
	}
	res, err := c.core.Remove(ctx, v.ID)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.writeJSON(res)
	}
	if res.Problem != nil {
		fmt.Fprintln(c.env.Stderr, c.env.I18n.Problem(c.lang, res.Problem))
	}
	fmt.Fprintln(c.env.Stdout, c.t("cli.msg.removed", "name", v.Name))
	return ExitOK
}

func runDiagnostics(ctx context.Context, c *cmdCtx) int {
	var out string
	pos, code, ok := c.flags("diagnostics", func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", c.t("cli.flag.output"))
	})
	if !ok {
		return code
	}
	if out == "" {
		return c.fail(usage("cli.error.need_output"))
	}
	if len(pos) > 1 {
		return c.fail(usage("cli.error.unexpected_arg", "arg", pos[1]))
	}
	if err := c.open(ctx); err != nil {
		return c.fail(err)
	}
	id := ""
	if len(pos) == 1 {
		v, err := c.core.Find(ctx, pos[0])
		if err != nil {
			return c.fail(err)
		}
		id = v.ID
	}
	// Write to a temp file first so a failed bundle never leaves a partial
	// zip where the user expects a good one.
	tmp, err := os.CreateTemp(dirOf(out), ".relink-diag-*")
	if err != nil {
		return c.fail(fmt.Errorf("create %s: %w", out, err))
	}
	defer os.Remove(tmp.Name())
	if err := c.core.Diagnostics(ctx, id, tmp); err != nil {
		tmp.Close()
		return c.fail(err)
	}
	if err := tmp.Close(); err != nil {
		return c.fail(err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return c.fail(fmt.Errorf("write %s: %w", out, err))
	}
	fmt.Fprintln(c.env.Stdout, c.t("cli.msg.diagnostics_written", "path", out))
	return ExitOK
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, os.PathSeparator); i >= 0 {
		return p[:i+1]
	}
	return "."
}
