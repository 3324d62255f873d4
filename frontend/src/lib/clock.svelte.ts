// A shared, ticking "now" for countdowns (expiry of labs, relative times).
// One interval for the whole app, running only while something reads it.

let timer: ReturnType<typeof setInterval> | null = null;
let users = 0;

export const clock = $state<{ now: number }>({ now: Date.now() });

/** Starts ticking (every second) until the returned function is called — return it from a $effect. */
export function useClock(): () => void {
  users++;
  clock.now = Date.now();
  if (!timer) timer = setInterval(() => (clock.now = Date.now()), 1000);
  return () => {
    users--;
    if (users <= 0 && timer) {
      clearInterval(timer);
      timer = null;
      users = 0;
    }
  };
}
