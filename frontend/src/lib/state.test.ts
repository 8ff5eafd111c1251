import { describe, expect, it, vi } from 'vitest';
import { store, toast, toastProblem, upsert } from './state.svelte';
import { sample } from './fakeBackend';

describe('state', () => {
  it('keeps only the latest few toasts', () => {
    store.toasts = [];
    for (const n of [1, 2, 3, 4, 5]) toast('ok', `t${n}`);
    expect(store.toasts.map((x) => x.text)).toEqual(['t3', 't4', 't5']);
  });

  it('keeps a toast that asks the user to act until it is dismissed', () => {
    vi.useFakeTimers();
    try {
      store.toasts = [];
      toast('error', 'revoke it yourself', true);
      toast('error', 'gone soon');
      vi.advanceTimersByTime(60_000);
      expect(store.toasts.map((x) => x.text)).toEqual(['revoke it yourself']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('turns a rejected call into a sentence', () => {
    store.toasts = [];
    toastProblem(JSON.stringify({ code: 'error.keychain_locked' }));
    toastProblem('plain text from somewhere');
    expect(store.toasts.map((x) => [x.kind, x.text])).toEqual([
      ['error', 'The system keychain is locked. Unlock it and try again.'],
      ['error', 'Something went wrong inside Relink. The details are kept for a bug report (Report a problem, or “relink diagnostics”).'],
    ]);
  });

  it('replaces an integration in place or adds it', () => {
    store.integrations = [sample('a', 'A', 'x', 'X', 'connected'), sample('b', 'B', 'x', 'X', 'connected')];
    upsert(sample('a', 'A2', 'x', 'X', 'error'));
    upsert(sample('c', 'C', 'x', 'X', 'connected'));
    expect(store.integrations.map((v) => `${v.id}:${v.name}:${v.status}`)).toEqual(['a:A2:error', 'b:B:connected', 'c:C:connected']);
  });
});
