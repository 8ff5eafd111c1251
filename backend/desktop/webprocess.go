package desktop

// Environ is the part of the process environment LeanWebProcess uses
// (os.LookupEnv, os.Setenv and os.Unsetenv).
type Environ interface {
	LookupEnv(key string) (string, bool)
	Setenv(key, value string) error
	Unsetenv(key string) error
}

// LeanWebProcess sets, for the web process WebKit is about to start, the
// JavaScriptCore options (read from its environment) that keep the window
// light, leaving any the user set. The page is a list that changes a few rows at a time, and
// JavaScriptCore's interpreter keeps up with it: bench/scale measured the
// same keystroke-to-filtered-list time with and without the JIT compilers,
// while leaving them out saved about 11 MB of the web process at 200
// integrations and 15 MB while a sweep reports in (compiled code and the
// compilers' own pages).
//
// The returned function removes what was set: call it once the page is
// up, so that the processes Relink starts later (the browser for an
// authorization) do not inherit the options.
func LeanWebProcess(env Environ) (undo func()) {
	var set []string
	for _, o := range [...]struct{ k, v string }{{"JSC_useJIT", "false"}} {
		k, v := o.k, o.v
		if _, ok := env.LookupEnv(k); ok {
			continue
		}
		if env.Setenv(k, v) == nil {
			set = append(set, k)
		}
	}
	return func() {
		for _, k := range set {
			_ = env.Unsetenv(k)
		}
		set = nil
	}
}
