// Relink keeps data integrations authorized. main is the composition
// root: it wires the backend packages together and starts either the
// command line or the window.
package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"

	"relink/backend/alerts"
	"relink/backend/catalog"
	"relink/backend/cli"
	"relink/backend/desktop"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/monitor"
	"relink/backend/oauth"
	"relink/backend/platform"
	"relink/backend/secrets"
	"relink/backend/services"
	"relink/backend/store"
	"relink/backend/support"
	"relink/backend/window"
)

//go:embed all:frontend/dist
var assets embed.FS

// icon is the window icon: the 256 px rendering, since GTK decodes it at
// start-up and the 1024 px source cost ~60 ms there for no visible gain.
//
//go:embed build/linux/icons/256x256/relink.png
var icon []byte

// version is stamped at build time (-ldflags "-X main.version=…", as
// `make build` does with wails.json's productVersion).
var version string

// wailsJSON carries productVersion, the version the packages are built
// as: a build that was not stamped (plain `wails build`, `go build`)
// reports it rather than a made-up "dev".
//
//go:embed wails.json
var wailsJSON []byte

// appVersion is the version this binary reports.
func appVersion() string {
	if version != "" {
		return version
	}
	var w struct {
		Info struct {
			ProductVersion string `json:"productVersion"`
		} `json:"info"`
	}
	if json.Unmarshal(wailsJSON, &w) != nil || w.Info.ProductVersion == "" {
		return "unknown"
	}
	return w.Info.ProductVersion
}

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	cat, err := i18n.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "relink:", err)
		return 1
	}
	if len(args) == 1 && strings.HasPrefix(strings.ToLower(args[0]), catalog.Scheme+":") {
		return forwardCallback(args[0], cat)
	}
	if cli.IsCommand(args) {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return cli.Main(ctx, args, cli.Env{
			Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Version: appVersion(), I18n: cat,
			Open: func(ctx context.Context, dataDir string) (cli.Core, func(), error) {
				c, err := openCore(ctx, dataDir, cat, nil)
				if err != nil {
					return nil, nil, err
				}
				return cliCore{c.svc, c.support, c.alerts}, c.close, nil
			},
		})
	}
	return runGUI(args, cat)
}

// forwardCallback is what `relink io.relink.app:/callback?…` does when the
// desktop entry hands Relink a private-use-scheme OAuth callback: pass it
// to the attempt waiting for it, in the window or a `relink add/reauth`
// process, over that attempt's loopback listener (which checks state and
// PKCE as for any callback). It never starts a window of its own.
func forwardCallback(uri string, cat *i18n.Catalog) int {
	lang := cat.Match(i18n.SystemLocale(os.Getenv))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	h := oauth.Handoff{Dir: oauth.HandoffDir(os.Getenv)}
	err := h.Forward(ctx, &http.Client{Timeout: 15 * time.Second}, catalog.Scheme, uri)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, oauth.ErrNoAttempt):
		fmt.Fprintln(os.Stderr, "relink:", cat.T(lang, "cli.callback.no_attempt", nil))
	default:
		fmt.Fprintln(os.Stderr, "relink:", cat.T(lang, "cli.callback.failed", nil))
	}
	return 1
}

// core is the backend the window and the CLI share.
type core struct {
	svc      *services.Service
	support  *support.Desk
	alerts   *alerts.Manager
	dispatch *alerts.Dispatcher
	dataDir  string
	close    func()
}

// cliCore is what the command line needs of the core.
type cliCore struct {
	*services.Service
	*support.Desk
	alerts *alerts.Manager
}

func (c cliCore) Alerts() cli.Alerts { return c.alerts }

// openCore builds the shared core; events is the window's page, nil for
// the command line.
func openCore(ctx context.Context, dataDirFlag string, cat *i18n.Catalog, events services.Emitter) (*core, error) {
	dataDir, err := store.ResolveDataDir(dataDirFlag, os.Getenv)
	if err != nil {
		return nil, err
	}
	// The store opens read-only rather than failing when its file cannot
	// be written, so the window can show why and recover later.
	st, err := store.OpenForApp(ctx, filepath.Join(dataDir, store.DBFile))
	if err != nil {
		return nil, err
	}
	providers, err := catalog.Load()
	if err != nil {
		st.Close()
		return nil, err
	}
	c := &core{dataDir: dataDir}
	keys := secrets.New("relink", secrets.DefaultTimeout)
	opener := oauth.SystemOpener{Getenv: os.Getenv}
	var svc *services.Service
	lang := func() string { return svc.Language(context.Background()) }
	svc = services.New(services.Config{
		Store: st, Secrets: keys, Catalog: providers, I18n: cat,
		Opener: opener, DataDir: dataDir, Getenv: os.Getenv,
		Lang: lang, Emitter: events,
	})
	c.svc = svc
	c.support = &support.Desk{Records: st, Secrets: keys, Catalog: providers, Views: svc, I18n: cat, Opener: opener,
		Now: time.Now, Getenv: os.Getenv, Version: appVersion(), DataDir: dataDir}
	// Webhook posts use the providers' client: bounded, proxy-aware, and
	// no redirect to another host (which could receive the alerts).
	webhooks := oauth.NewHTTPClient(30 * time.Second)
	tr := i18n.Translator{Catalog: cat, Lang: lang}
	c.dispatch = &alerts.Dispatcher{Outbox: st, Secrets: keys, Client: webhooks, Tr: tr,
		ProviderName: func(id string) string {
			if p, ok := providers.Get(id); ok {
				return p.Name
			}
			return id
		}}
	c.alerts = &alerts.Manager{Store: st, Secrets: keys, Client: webhooks, Tr: tr, Wake: c.dispatch.Wake}
	c.close = func() { st.Close() }
	return c, nil
}

// guiFlags are the window's own flags.
type guiFlags struct {
	dataDir string
	hidden  bool
	metrics string
	// open is the integration a relink://open/<id> link asks for.
	open string
}

func parseGUIFlags(args []string) (guiFlags, error) {
	var f guiFlags
	var err error
	if f.dataDir, args, err = cli.SplitDataDir(args); err != nil {
		return f, err
	}
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--hidden":
			f.hidden = true
		case a == "--metrics" && i+1 < len(args):
			f.metrics = args[i+1]
			i++
			if err := services.CheckMetricsAddr(f.metrics); err != nil {
				return f, err
			}
		case strings.HasPrefix(strings.ToLower(a), desktop.LinkScheme+":"):
			id, ok := desktop.ParseOpenLink(a)
			if !ok {
				return f, integration.NewError(integration.ErrInvalid, nil, "error.link_invalid", "link", a)
			}
			f.open = id
		default:
			return f, integration.NewError(integration.ErrInvalid, nil, "cli.error.unexpected_arg", "arg", a)
		}
	}
	return f, nil
}

func runGUI(args []string, cat *i18n.Catalog) int {
	if platform.GeneratingBindings {
		// `wails build` runs this binary only to read the bound methods.
		if err := wails.Run(&options.App{Title: "Relink", Bind: []any{&App{}}}); err != nil {
			fmt.Fprintln(os.Stderr, "relink:", err)
			return 1
		}
		return 0
	}
	lang := cat.Match(i18n.SystemLocale(os.Getenv))
	flags, err := parseGUIFlags(args)
	if err != nil {
		cli.Say(os.Stderr, cat, lang, integration.AsProblem(err))
		return 2
	}
	if platform.DisplayMissing(os.Getenv) {
		fmt.Fprintln(os.Stderr, "relink:", cat.T(lang, "cli.error.no_display", nil))
		return 1
	}
	ctx := context.Background()
	page := &window.Page{}
	c, err := openCore(ctx, flags.dataDir, cat, page)
	if err != nil {
		cli.Say(os.Stderr, cat, lang, integration.AsProblem(err))
		return 1
	}
	defer c.close()
	// RELINK_NOTIFY_COALESCE tunes how long break/recovery notifications
	// are gathered into one (default one minute).
	coalesce, _ := time.ParseDuration(os.Getenv("RELINK_NOTIFY_COALESCE"))
	mon := monitor.New(monitor.Config{Service: c.svc, I18n: cat, NotifyWindow: coalesce, Alerts: c.dispatch,
		MetricsAddr: flags.metrics})
	windows := desktop.NewWindowStore(c.dataDir)
	width, height := 1180, 760
	var restored *desktop.WindowState
	if w, err := windows.Load(); err == nil {
		restored, width, height = &w, w.Width, w.Height
	}
	uniqueID := "io.relink.app." + singleInstanceKey(c.dataDir)
	if desktop.HandOff(uniqueID, args) {
		// The running window took over (it shows itself, or opens the
		// link); this launch did its job.
		return 0
	}
	app := newApp(c.svc, page, mon, windows, restored, flags.hidden)
	app.alerts, app.support = c.alerts, c.support
	if flags.open != "" {
		app.startNav = &window.Navigate{View: "integrations", IntegrationID: flags.open, Reauth: true}
	}
	// Options for the web process WebKit starts with the window, dropped
	// from the environment once the page is up.
	undoLean := desktop.LeanWebProcess(osEnviron{})
	err = wails.Run(&options.App{
		Title:             "Relink",
		Width:             width,
		Height:            height,
		MinWidth:          960,
		MinHeight:         640,
		StartHidden:       flags.hidden,
		HideWindowOnClose: false,
		AssetServer:       &assetserver.Options{Assets: assets},
		BackgroundColour:  &options.RGBA{R: 248, G: 250, B: 252, A: 255},
		OnStartup:         app.startup,
		OnDomReady:        func(context.Context) { undoLean() },
		OnShutdown:        app.shutdown,
		OnBeforeClose:     app.beforeClose,
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId:               uniqueID,
			OnSecondInstanceLaunch: app.onSecondInstance,
		},
		// GPU policy Never is what Wails uses when no Linux options are
		// given (wails#2977): on demand it starts Mesa/LLVM for a simple
		// page, costing ~100 MB and start-up time in a tray app.
		Linux: &linux.Options{Icon: icon, ProgramName: "relink", WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
		Bind:  []any{app},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "relink:", err)
		return 1
	}
	return 0
}

// osEnviron is the process environment.
type osEnviron struct{}

func (osEnviron) LookupEnv(k string) (string, bool) { return os.LookupEnv(k) }
func (osEnviron) Setenv(k, v string) error          { return os.Setenv(k, v) }
func (osEnviron) Unsetenv(k string) error           { return os.Unsetenv(k) }

// singleInstanceKey makes the lock per data dir, so tests and `make demo`
// (own data dirs) can run beside the user's Relink.
func singleInstanceKey(dataDir string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(dataDir); i++ {
		h = (h ^ uint32(dataDir[i])) * 16777619
	}
	return fmt.Sprintf("%08x", h)
}
