// Live refresh of the release detail's extra sections.
// subscribe('*') rather than onLive(): events of this feature (signoff.changed)
// are not in lib/events.ts's EventType list, and most are filtered by release.
import { subscribe, type ServerEvent } from '../lib/events';

/** True for an event of one of types about the release (event id = release id). */
export function aboutRelease(releaseId: number, types: string[]): (ev: ServerEvent) => boolean {
  return (ev) => types.includes(ev.type) && String(ev.id) === String(releaseId);
}

/**
 * Calls refresh (debounced) when an event matches, and after a reconnect.
 * Returns the unsubscribe function, made to be returned from a $effect.
 */
export function onEvents(match: (ev: ServerEvent) => boolean, refresh: () => void, delayMs = 250): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const off = subscribe('*', (ev) => {
    if (ev.type !== 'client.reconnected' && !match(ev)) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      refresh();
    }, delayMs);
  });
  return () => {
    if (timer) clearTimeout(timer);
    off();
  };
}
