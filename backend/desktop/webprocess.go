package desktop

// Environ is the part of the process environment LeanWebProcess uses
// (os.LookupEnv, os.Setenv and os.Unsetenv).
type Environ interface {
	LookupEnv(key string) (string, bool)
	Setenv(key, value string) error
	Unsetenv(key string) error
}

// LeanWebProcess turns JavaScriptCore's JIT compilers off (through the
// environment WebKit's web process starts with), unless the user set that
// option. The page is a list that changes a few rows at a time and the
// interpreter keeps up with it: bench/scale measured the same
// keystroke-to-filtered-list time with and without the JIT, while leaving
// it out saved about 11 MB of the web process at 200 integrations and
// 15 MB while a sweep reports in (compiled code and the compilers' pages).
//
// The returned function removes what was set: call it once the page is
// up, so that the processes Relink starts later (the browser for an
// authorization) do not inherit it.
func LeanWebProcess(env Environ) (undo func()) {
	if _, set := env.LookupEnv(jitOption); set || env.Setenv(jitOption, "false") != nil {
		return func() {}
	}
	return func() { _ = env.Unsetenv(jitOption) }
}

// jitOption switches JavaScriptCore's JIT compilers on or off.
const jitOption = "JSC_useJIT"
