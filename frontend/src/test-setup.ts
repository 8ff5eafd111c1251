// jsdom lacks a few browser APIs the components use.
if (!('structuredClone' in globalThis)) {
  (globalThis as unknown as { structuredClone: (v: unknown) => unknown }).structuredClone = (v: unknown) => JSON.parse(JSON.stringify(v));
}
