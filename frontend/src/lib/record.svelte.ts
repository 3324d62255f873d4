// A record of a release shown on its own page (a lab, a rollout): loaded when
// the page opens and again after a reconnection, with the release it belongs
// to, and the states the page shows before it has one (loading, not found,
// an error with Retry: see ui/Loaded.svelte).
//
//   const page = releaseRecord<Lab>({
//     fetch: () => ok(api.GET('/labs/{id}', { params: { path: { id } } })),
//     loaded: () => loadEvidence(),
//     live: { type: 'lab.updated', on: (ev) => … page.data = … },
//   });

import { api, ApiError, errorMessage, ok, type Release } from './api';
import { subscribe, type EventType, type ServerEvent } from './events';

export interface ReleaseRecordOptions<T> {
  /** Fetches the record. Called synchronously by load(), so what it reads is tracked. */
  fetch: () => Promise<T>;
  /** Folds a newer copy into the one shown (default: takes the newer one). */
  merge?: (next: T, prev: T | null) => T;
  /** After each load that found the record. */
  loaded?: (record: T) => void;
  /** The event that carries the record's changes, and what to do with it. */
  live?: { type: EventType; on: (ev: ServerEvent) => void };
}

export interface ReleaseRecord<T> {
  /** the record (null until found); set by the page on an event or an action's answer */
  data: T | null;
  /** the release it belongs to, once fetched (null meanwhile or if that failed) */
  readonly release: Release | null;
  /** true until the first load ends */
  readonly loading: boolean;
  /** the last load's failure ('' after a success) */
  readonly error: string;
  /** the server answered 404 */
  readonly notFound: boolean;
  /** Fetches the record again; safe as an event handler. */
  readonly load: () => Promise<void>;
  /** Shows a newer copy through merge. */
  set(next: T): void;
}

/** Call during a component's initialisation: it loads in an $effect, live while the page is shown. */
export function releaseRecord<T extends { release_id: number }>(opts: ReleaseRecordOptions<T>): ReleaseRecord<T> {
  let data = $state<T | null>(null);
  let release = $state<Release | null>(null);
  let loading = $state(true);
  let error = $state('');
  let notFound = $state(false);

  const set = (next: T) => {
    data = opts.merge ? opts.merge(next, data) : next;
  };

  async function load(): Promise<void> {
    try {
      const r = await opts.fetch();
      set(r);
      error = '';
      notFound = false;
      if (!release || release.id !== r.release_id) {
        ok(api.GET('/releases/{id}', { params: { path: { id: r.release_id } } }))
          .then((rel) => (release = rel))
          .catch(() => {});
      }
      opts.loaded?.(r);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) notFound = true;
      error = errorMessage(e);
    } finally {
      loading = false;
    }
  }

  $effect(() => {
    load();
    const offs = [subscribe('client.reconnected', () => load())];
    if (opts.live) offs.push(subscribe(opts.live.type, opts.live.on));
    return () => offs.forEach((off) => off());
  });

  return {
    get data() {
      return data;
    },
    set data(v: T | null) {
      data = v;
    },
    get release() {
      return release;
    },
    get loading() {
      return loading;
    },
    get error() {
      return error;
    },
    get notFound() {
      return notFound;
    },
    load,
    set,
  };
}
