import { afterEach, describe, expect, it } from 'vitest';
import { store, upsertAll } from './state.svelte';
import { filterSort } from './list';
import { sample } from './fakeBackend';

afterEach(() => {
  store.integrations = [];
});

describe('upsertAll', () => {
  it('replaces by id and appends new ones', () => {
    store.integrations = [sample('a', 'A', 'x', 'X', 'connected'), sample('b', 'B', 'x', 'X', 'connected')];
    upsertAll([sample('b', 'B', 'x', 'X', 'error'), sample('c', 'C', 'x', 'X', 'connected')]);
    expect(store.integrations.map((v) => `${v.id}:${v.status}`)).toEqual(['a:connected', 'b:error', 'c:connected']);
  });

  it('keeps a row being checked where its last outcome put it', () => {
    store.integrations = [sample('a', 'A', 'x', 'X', 'connected'), sample('b', 'B', 'x', 'X', 'connected'), sample('z', 'Z', 'x', 'X', 'error')];
    upsertAll([sample('b', 'B', 'x', 'X', 'checking')]);
    const order = () => filterSort(store.integrations, { search: '', status: '' }).map((v) => v.id);
    expect(order()).toEqual(['z', 'a', 'b']);
    expect(store.integrations[1].status).toBe('checking');
    upsertAll([sample('b', 'B', 'x', 'X', 'needs_reauth')]);
    expect(order()).toEqual(['b', 'z', 'a']);
  });
});
