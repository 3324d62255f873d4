// Small timers the live pages share.

export interface Soon {
  /** Runs the function in ms, unless it is already due: calls while it waits change nothing. */
  schedule(ms: number): void;
  /** Forgets a pending run (return it from the $effect that owns the page). */
  cancel(): void;
}

/** Gathers a burst of reasons to fetch again into one fetch. */
export function soon(fn: () => void): Soon {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    schedule(ms) {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        fn();
      }, ms);
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/** Calls fn every ms until the returned function is called — return it from a $effect. */
export function every(ms: number, fn: () => void): () => void {
  const t = setInterval(fn, ms);
  return () => clearInterval(t);
}
