// The one live-events module of the Shakedown frontend.
//
// Transport is chosen here and nowhere else:
//  - inside a Wails desktop window (window.runtime.EventsOn exists) the Go side
//    emits every event envelope on the Wails event named WAILS_EVENT_NAME;
//  - in a browser a WebSocket to /api/v1/events (same origin, session cookie)
//    is used, reconnecting with exponential backoff.
// Screens only ever call subscribe() / onStatus() / onLive().

export type EventType =
  | 'release.created'
  | 'release.updated'
  | 'freeze.changed'
  | 'ci.changed'
  | 'user.changed' // admins only
  | 'settings.changed' // admins only
  | 'operation.updated'
  | 'lab.updated'
  | 'signoff.changed'
  | 'package.created'
  | 'target.changed'
  | 'rollout.updated' // data: the Rollout with its counts and the targets changed since the previous event
  | 'delivery.updated' // data: the notification Delivery with its attempts (admins: every one; a user: the mails to them)
  | 'host.sample';

export interface ServerEvent<T = unknown> {
  type: EventType | string;
  id: string;
  at: string;
  data: T;
}

export type Handler = (ev: ServerEvent) => void;
export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting';

/** Name of the Wails event carrying the same JSON envelope as the WebSocket. */
export const WAILS_EVENT_NAME = 'shakedown:event';

interface WailsRuntime {
  EventsOn(name: string, cb: (...data: unknown[]) => void): (() => void) | void;
  EventsOff?(name: string): void;
}

function wailsRuntime(): WailsRuntime | null {
  const rt = (globalThis as unknown as { runtime?: WailsRuntime }).runtime;
  return rt && typeof rt.EventsOn === 'function' ? rt : null;
}

const handlers = new Map<string, Set<Handler>>();
const statusHandlers = new Set<(s: ConnectionStatus) => void>();
let status: ConnectionStatus = 'idle';

let ws: WebSocket | null = null;
let wantOpen = false;
let attempt = 0;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let wailsOff: (() => void) | null = null;

function setStatus(s: ConnectionStatus): void {
  if (s === status) return;
  status = s;
  for (const h of statusHandlers) h(s);
}

function dispatch(ev: ServerEvent): void {
  if (!ev || typeof ev.type !== 'string') return;
  for (const key of [ev.type, '*']) {
    const set = handlers.get(key);
    if (!set) continue;
    for (const h of [...set]) {
      try {
        h(ev);
      } catch (e) {
        console.error('event handler failed', e);
      }
    }
  }
}

function parse(raw: unknown): ServerEvent | null {
  try {
    const v = typeof raw === 'string' ? JSON.parse(raw) : raw;
    return v && typeof v === 'object' ? (v as ServerEvent) : null;
  } catch {
    return null;
  }
}

function socketUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api/v1/events`;
}

function openSocket(): void {
  if (!wantOpen) return;
  setStatus(attempt === 0 ? 'connecting' : 'reconnecting');
  let sock: WebSocket;
  try {
    sock = new WebSocket(socketUrl());
  } catch {
    scheduleRetry();
    return;
  }
  ws = sock;
  sock.onopen = () => {
    if (ws !== sock) return;
    const wasReconnect = attempt > 0;
    attempt = 0;
    setStatus('connected');
    // After a gap we may have missed events: tell screens to refresh.
    if (wasReconnect) dispatch({ type: 'client.reconnected', id: '', at: new Date().toISOString(), data: null });
  };
  sock.onmessage = (m) => {
    const ev = parse(m.data);
    if (ev) dispatch(ev);
  };
  sock.onclose = () => {
    if (ws !== sock) return;
    ws = null;
    scheduleRetry();
  };
  sock.onerror = () => {
    // onclose follows; nothing else to do.
  };
}

function scheduleRetry(): void {
  if (!wantOpen) {
    setStatus('idle');
    return;
  }
  attempt++;
  setStatus('reconnecting');
  const base = Math.min(30000, 500 * 2 ** Math.min(attempt, 6));
  const delay = base / 2 + Math.random() * (base / 2);
  retryTimer = setTimeout(() => {
    retryTimer = null;
    openSocket();
  }, delay);
}

/** Starts receiving events (call after sign-in). Idempotent. */
export function connect(): void {
  if (wantOpen) return;
  wantOpen = true;
  const rt = wailsRuntime();
  if (rt) {
    const off = rt.EventsOn(WAILS_EVENT_NAME, (payload: unknown) => {
      const ev = parse(payload);
      if (ev) dispatch(ev);
    });
    wailsOff = typeof off === 'function' ? off : () => rt.EventsOff?.(WAILS_EVENT_NAME);
    setStatus('connected');
    return;
  }
  attempt = 0;
  openSocket();
}

/** Stops receiving events (call on sign-out). */
export function disconnect(): void {
  wantOpen = false;
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  if (wailsOff) {
    wailsOff();
    wailsOff = null;
  }
  const sock = ws;
  ws = null;
  if (sock) {
    sock.onclose = null;
    sock.close();
  }
  attempt = 0;
  setStatus('idle');
}

/** Subscribes to one event type, or '*' for all. Returns the unsubscribe function. */
export function subscribe(type: EventType | 'client.reconnected' | '*', handler: Handler): () => void {
  let set = handlers.get(type);
  if (!set) handlers.set(type, (set = new Set()));
  set.add(handler);
  return () => {
    set.delete(handler);
  };
}

/** Current connection status, then every change. Returns the unsubscribe function. */
export function onStatus(handler: (s: ConnectionStatus) => void): () => void {
  statusHandlers.add(handler);
  handler(status);
  return () => {
    statusHandlers.delete(handler);
  };
}

/**
 * Calls refresh (debounced) whenever one of the given event types arrives,
 * and after a reconnect. Returns the unsubscribe function — made to be
 * returned from a Svelte $effect.
 */
export function onLive(types: EventType[], refresh: (ev: ServerEvent) => void, delayMs = 250): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last: ServerEvent | null = null;
  const fire = (ev: ServerEvent) => {
    last = ev;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      if (last) refresh(last);
    }, delayMs);
  };
  const offs = [...types.map((t) => subscribe(t, fire)), subscribe('client.reconnected', fire)];
  return () => {
    if (timer) clearTimeout(timer);
    for (const off of offs) off();
  };
}
