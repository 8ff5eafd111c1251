// Type-level test, run by svelte-check (npm run check): the hand-written
// bridge (api.ts's Backend, the models in types.ts, events.ts's Handlers)
// must match bridge.gen.ts, which Go generates from what it binds. Each
// Mismatch is the list of paths that differ; the build fails unless it is
// never, and the error names the path.
import type { Backend } from './api';
import type { Handlers } from './events';
import type * as Go from './bridge.gen';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type Nullable<T> = null extends T ? true : false;
// A never inside a template literal would make the whole message never.
type Names<U> = [U] extends [never] ? 'none' : U & string;

/**
 * Mismatch lists the paths where T, written by hand, departs from G,
 * generated from Go: a field or method missing on either side, optional
 * on one side only, null allowed on one side only, another parameter
 * count, or a type that does not fit Go's. A narrower type fits: a union
 * of string literals where Go has a string.
 */
export type Mismatch<T, G, P extends string> =
  Same<Nullable<T>, Nullable<G>> extends false ? `${P}: null on one side only`
  : MismatchDefined<NonNullable<T>, NonNullable<G>, P>;

type MismatchDefined<T, G, P extends string> =
  [G] extends [(...args: infer GA) => infer GR]
    ? [T] extends [(...args: infer TA) => infer TR]
      ? MismatchArgs<TA, GA, P> | Mismatch<Awaited<TR>, Awaited<GR>, `${P}()`>
      : `${P}: not a function`
  : [G] extends [readonly (infer GE)[]]
    ? [T] extends [readonly (infer TE)[]] ? Mismatch<TE, GE, `${P}[]`> : `${P}: not an array`
  : [G] extends [object]
    ? [T] extends [object]
      ? Same<keyof T, keyof G> extends false
        ? `${P}: only here: ${Names<Exclude<keyof T, keyof G>>}; only in Go: ${Names<Exclude<keyof G, keyof T>>}`
        : Same<OptionalKeys<T>, OptionalKeys<G>> extends false
          ? `${P}: optional here: ${Names<Exclude<OptionalKeys<T>, OptionalKeys<G>>>}; optional in Go: ${Names<Exclude<OptionalKeys<G>, OptionalKeys<T>>>}`
          : { [K in keyof G]-?: Mismatch<Exclude<T[K & keyof T], undefined>, Exclude<G[K], undefined>, `${P}.${K & string}`> }[keyof G]
      : `${P}: not an object`
  : [T] extends [G] ? never : `${P}: does not fit Go's type`;

type MismatchArgs<T extends unknown[], G extends unknown[], P extends string> =
  Same<T['length'], G['length']> extends false
    ? `${P}: ${T['length']} parameters; Go takes ${G['length']}`
    : { [I in keyof G]: Mismatch<T[I & keyof T], G[I], `${P}(${I & string})`> }[number];

/** Compiles only when M is never: the error shows the mismatching paths. */
export type Expect<M extends never> = M;

export type BackendMatchesGo = Expect<Mismatch<Backend, Go.Backend, 'Backend'>>;
export type EventsMatchGo = Expect<Mismatch<Handlers, Go.Events, 'events'>>;
