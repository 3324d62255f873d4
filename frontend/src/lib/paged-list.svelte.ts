// A list the server answers a page at a time ({items, total}), filtered by
// the screen: the labs, the audit trail, the targets, the releases.
//
//   const list = pagedList(({ limit, offset }) => ok(api.GET('/audit', { params: { query: { ...filters, limit, offset } } })), { limit: 50 });
//   $effect(() => {
//     list.reload(); // re-runs when the filters, the limit or the offset change
//   });
//   {#each list.items as a (a.id)} … <Pager {list} />
//
// The fetcher is called synchronously by reload() (see createLoader): the
// filters, limit and offset it reads are tracked by the $effect that calls it.
// A change of filter should set offset to 0.

import { createLoader } from './loader.svelte';

export interface Page<T> {
  items: T[];
  total: number;
}

export interface PagedList<T> {
  /** the current page's items; the screen may update one in place (live events) */
  items: T[];
  readonly total: number;
  /** true until the first page arrives */
  readonly loading: boolean;
  /** the last fetch's failure ('' after a success); the screen may show its own actions' errors here */
  error: string;
  /** the page size (a "show more" grows it) */
  limit: number;
  /** where the page starts */
  offset: number;
  /** the 1-based numbers of the first and last items shown (0 and 0 when none) */
  readonly from: number;
  readonly to: number;
  readonly hasPrev: boolean;
  readonly hasNext: boolean;
  prev(): void;
  next(): void;
  /** Fetches the page again; safe as an event handler. */
  readonly reload: () => Promise<void>;
}

export function pagedList<T>(
  fetcher: (page: { limit: number; offset: number }) => Promise<Page<T>>,
  opts: { limit: number; offset?: number },
): PagedList<T> {
  let limit = $state(opts.limit);
  let offset = $state(opts.offset ?? 0);
  const loader = createLoader<Page<T>>(() => fetcher({ limit, offset }), { items: [], total: 0 });

  return {
    get items() {
      return loader.data.items;
    },
    set items(v: T[]) {
      loader.data = { ...loader.data, items: v };
    },
    get total() {
      return loader.data.total;
    },
    get loading() {
      return loader.loading;
    },
    get error() {
      return loader.error;
    },
    set error(v: string) {
      loader.error = v;
    },
    get limit() {
      return limit;
    },
    set limit(v: number) {
      limit = v;
    },
    get offset() {
      return offset;
    },
    set offset(v: number) {
      offset = Math.max(0, v);
    },
    get from() {
      return loader.data.total === 0 ? 0 : offset + 1;
    },
    get to() {
      return Math.min(offset + loader.data.items.length, loader.data.total);
    },
    get hasPrev() {
      return offset > 0;
    },
    get hasNext() {
      return offset + limit < loader.data.total;
    },
    prev() {
      offset = Math.max(0, offset - limit);
    },
    next() {
      offset = offset + limit;
    },
    reload: loader.reload,
  };
}
