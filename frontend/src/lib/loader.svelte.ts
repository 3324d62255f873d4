// Data loaded into reactive state, with the loading and error flags that go
// with it: the preamble of most screens.
//
//   const list = createLoader(() => api.listThings(), [] as Thing[]);
//   $effect(() => {
//     list.reload();
//     return onLive(['thing.changed'], list.reload);
//   });
//
// - `loading` is true until the first load finishes (it never turns true again);
// - `reload()` keeps showing the old `data` while it runs; on success `error`
//   is '', on failure errorMessage(e) and `data` is kept;
// - when reloads overlap only the newest one's answer (or error) is used;
// - `data` and `error` may be set by the screen (optimistic updates, errors of
//   its own actions shown in the same banner).
// The fetcher is called synchronously by reload(), so state it reads there is
// tracked by an $effect that calls reload(), as with a plain load function.

import { errorMessage } from './api';

export interface Loader<T> {
  data: T;
  readonly loading: boolean;
  error: string;
  /** Fetches again; safe to pass as an event handler (it ignores its arguments). */
  readonly reload: () => Promise<void>;
}

export function createLoader<T>(fetcher: () => Promise<T>, initial: T): Loader<T> {
  let data = $state(initial);
  let loading = $state(true);
  let error = $state('');
  let seq = 0;

  async function reload(): Promise<void> {
    const my = ++seq;
    try {
      const value = await fetcher();
      if (my !== seq) return;
      data = value;
      error = '';
    } catch (e) {
      if (my === seq) error = errorMessage(e);
    } finally {
      if (my === seq) loading = false;
    }
  }

  return {
    get data() {
      return data;
    },
    set data(v: T) {
      data = v;
    },
    get loading() {
      return loading;
    },
    get error() {
      return error;
    },
    set error(v: string) {
      error = v;
    },
    reload,
  };
}
