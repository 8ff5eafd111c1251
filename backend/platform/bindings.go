//go:build bindings

package platform

// GeneratingBindings is true in the binary `wails build` runs to generate
// the frontend bindings: it must not open data or need a display.
const GeneratingBindings = true
