// The desktop app (Wails v2 window) as seen from the frontend.
//
// The same build runs in a browser and in the desktop window. In the window the
// Wails JS runtime (window.runtime) exists and the Go shell answers a few
// /desktop/* routes of its own; in a browser neither does (there /desktop/info
// would be the SPA's index.html), so nothing here calls the Go side unless the
// runtime is present.

import { ApiError } from './api';
import { navigate } from './router.svelte';

export type DesktopMode = 'local' | 'connected';

/** GET /desktop/info */
export interface DesktopInfo {
  desktop: true;
  mode: DesktopMode;
  /** the team server (connected mode), else '' */
  server_url: string;
  version: string;
  /** the user the local backend signs the window in as (local mode) */
  local_user: string;
  data_dir: string;
}

/** The part of the Wails runtime used here. */
interface DesktopRuntime {
  EventsOn(name: string, cb: (...data: unknown[]) => void): (() => void) | void;
  EventsEmit?(name: string, ...data: unknown[]): void;
  WindowSetTitle?(title: string): void;
}

/** The Wails event the native menu sends, with a hash path such as '/releases/new'. */
export const NAVIGATE_EVENT = 'shakedown:navigate';

/**
 * active: this page runs in the desktop window; info: what the shell said
 * (null until /desktop/info answered); error: why it did not answer.
 */
export const desktop = $state<{ active: boolean; info: DesktopInfo | null; error: string }>({
  active: false,
  info: null,
  error: '',
});

function runtime(): DesktopRuntime | null {
  const rt = (globalThis as unknown as { runtime?: DesktopRuntime }).runtime;
  return rt && typeof rt.EventsOn === 'function' ? rt : null;
}

// ---------------------------------------------------------------- requests

/** A message from Go as a sentence: capital first letter, closing stop. */
function sentence(s: string): string {
  const t = s.trim().replace(/[\s:;,]+$/, '');
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : first + '.';
}

/** A plain JSON call to the shell (not the API client: no /api/v1 base, no CSRF token). */
async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The desktop app does not answer. Restart Shakedown and try again.');
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const env = (data as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
    throw new ApiError(
      res.status,
      env?.code ?? (res.status === 422 ? 'invalid' : 'internal'),
      env?.message ? sentence(env.message) : `The desktop app could not do that (HTTP ${res.status}).`,
      env?.field ?? '',
    );
  }
  return data as T;
}

function isInfo(v: unknown): v is DesktopInfo {
  const i = v as Partial<DesktopInfo> | null | undefined;
  return !!i && typeof i === 'object' && i.desktop === true && (i.mode === 'local' || i.mode === 'connected');
}

function normInfo(v: unknown): DesktopInfo {
  if (!isInfo(v)) throw new ApiError(0, 'internal', 'The desktop app gave an answer this window does not understand.');
  return {
    desktop: true,
    mode: v.mode,
    server_url: v.server_url ?? '',
    version: v.version ?? '',
    local_user: v.local_user ?? '',
    data_dir: v.data_dir ?? '',
  };
}

/** After a change of mode the window is served by another backend: start over on the board. */
function reloadWindow(): void {
  history.replaceState(null, '', '#/board');
  location.reload();
}

// ---------------------------------------------------------------- start

let started = false;

/**
 * Call once, before the session is restored (the sign-in screen needs it):
 * in the desktop window, marks the app active, asks the shell for its mode
 * and follows the native menu's navigation. Does nothing in a browser.
 */
export function initDesktop(): void {
  if (started) return;
  started = true;
  const rt = runtime();
  if (!rt) return;
  desktop.active = true;
  rt.EventsOn(NAVIGATE_EVENT, (path: unknown) => {
    if (typeof path === 'string' && path.startsWith('/')) navigate(path);
  });
  void loadDesktopInfo();
}

/** (Re)reads /desktop/info into desktop.info; errors land in desktop.error. */
export async function loadDesktopInfo(): Promise<void> {
  if (!desktop.active) return;
  try {
    desktop.info = normInfo(await call<unknown>('GET', '/desktop/info'));
    desktop.error = '';
  } catch (e) {
    desktop.error = e instanceof Error ? e.message : String(e);
  }
}

// ---------------------------------------------------------------- window title

/**
 * A screen's own title (e.g. a release's name and version), used instead of
 * its route's generic one while it is set. The screen clears it when it goes.
 */
export const pageTitle = $state<{ text: string }>({ text: '' });

/** Sets the document title and, in the desktop window, the native title bar. */
export function setWindowTitle(title: string): void {
  document.title = title;
  runtime()?.WindowSetTitle?.(title);
}

// ---------------------------------------------------------------- actions

/**
 * Has the shell write a release's report and open it in the system browser.
 * Returns the file's path; throws an ApiError (message is a sentence).
 */
export async function openReport(releaseId: number): Promise<string> {
  if (!desktop.active) throw new ApiError(0, 'unavailable', 'Reports open in the browser only from the desktop app.');
  const res = await call<{ path?: string } | undefined>('POST', '/desktop/report', { release_id: releaseId });
  return res?.path ?? '';
}

/**
 * Connects the window to a team server, then reloads it (the team server's
 * sign-in follows). Throws an ApiError, with field 'server_url' when the
 * address is wrong or nothing answers there; on success it does not return
 * before the reload.
 */
export async function connectTo(serverUrl: string): Promise<DesktopInfo> {
  if (!desktop.active) throw new ApiError(0, 'unavailable', 'Connecting to a team server is for the desktop app.');
  const info = normInfo(await call<unknown>('POST', '/desktop/connect', { server_url: serverUrl.trim() }));
  desktop.info = info;
  reloadWindow();
  return info;
}

/** Switches the window back to the local backend, then reloads it. Throws an ApiError. */
export async function useLocal(): Promise<DesktopInfo> {
  if (!desktop.active) throw new ApiError(0, 'unavailable', 'Local Shakedown is part of the desktop app.');
  const info = normInfo(await call<unknown>('POST', '/desktop/local'));
  desktop.info = info;
  reloadWindow();
  return info;
}

let painted = false;

/**
 * Tells the shell the board has painted (its cold-start figure). Once per page
 * load, on the next animation frame; a no-op in a browser. Never throws.
 */
export function reportPainted(): void {
  if (painted || !desktop.active) return;
  painted = true;
  requestAnimationFrame(() => {
    fetch('/desktop/painted', { method: 'POST', credentials: 'same-origin' }).catch(() => {
      // Only a measurement: nothing to tell the user.
    });
  });
}
