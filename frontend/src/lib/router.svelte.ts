// A small hash router: #/board, #/releases, #/releases/12, #/releases/new,
// #/releases/12/edit, #/releases/12/labs/new, #/labs, #/labs/3, #/labs/3/vms/sd-lab-3-web, #/releases/12/rollouts/new,
// #/rollouts/4f2a9c01d3e5b7a8, #/operations, #/calendar,
// #/approvals, #/kpis, #/admin/users, #/admin/freezes, #/admin/hosts, #/admin/targets, #/admin/policies, #/admin/settings, #/admin/notifications, #/notifications,
// #/audit, #/tokens, #/account, #/desktop/connect (the desktop app's team-server settings).

export type RouteName =
  | 'board'
  | 'releases'
  | 'release-new'
  | 'release-detail'
  | 'release-edit'
  | 'lab-new'
  | 'lab-detail'
  | 'labs'
  | 'lab-vm'
  | 'rollout-new'
  | 'rollout-detail'
  | 'operations'
  | 'calendar'
  | 'approvals'
  | 'kpis'
  | 'admin-users'
  | 'admin-freezes'
  | 'admin-hosts'
  | 'admin-targets'
  | 'admin-policies'
  | 'admin-settings'
  | 'admin-notifications'
  | 'notifications'
  | 'audit'
  | 'tokens'
  | 'account'
  | 'desktop-connect'
  | 'not-found';

export interface Route {
  name: RouteName;
  path: string;
  /** the numeric id in the path (0 when none or not a number) */
  id: number;
  /** the id segment as written (lab and rollout ids are strings) */
  key: string;
  /** a second segment (a lab VM's domain name) */
  sub: string;
  query: URLSearchParams;
}

const patterns: [RegExp, RouteName][] = [
  [/^\/?$/, 'board'],
  [/^\/board$/, 'board'],
  [/^\/releases$/, 'releases'],
  [/^\/releases\/new$/, 'release-new'],
  [/^\/releases\/(\d+)$/, 'release-detail'],
  [/^\/releases\/(\d+)\/edit$/, 'release-edit'],
  [/^\/releases\/(\d+)\/labs\/new$/, 'lab-new'],
  [/^\/labs$/, 'labs'],
  [/^\/labs\/([A-Za-z0-9._-]+)$/, 'lab-detail'],
  [/^\/labs\/([A-Za-z0-9._-]+)\/vms\/([^/]+)$/, 'lab-vm'],
  [/^\/releases\/(\d+)\/rollouts\/new$/, 'rollout-new'],
  [/^\/rollouts\/([A-Za-z0-9_-]+)$/, 'rollout-detail'],
  [/^\/operations$/, 'operations'],
  [/^\/calendar$/, 'calendar'],
  [/^\/approvals$/, 'approvals'],
  [/^\/kpis$/, 'kpis'],
  [/^\/admin$/, 'admin-users'],
  [/^\/admin\/users$/, 'admin-users'],
  [/^\/admin\/freezes$/, 'admin-freezes'],
  [/^\/admin\/hosts$/, 'admin-hosts'],
  [/^\/admin\/targets$/, 'admin-targets'],
  [/^\/admin\/policies$/, 'admin-policies'],
  [/^\/admin\/settings$/, 'admin-settings'],
  [/^\/admin\/notifications$/, 'admin-notifications'],
  [/^\/notifications$/, 'notifications'],
  [/^\/audit$/, 'audit'],
  [/^\/tokens$/, 'tokens'],
  [/^\/account$/, 'account'],
  [/^\/desktop\/connect$/, 'desktop-connect'],
];

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [pathPart, queryPart = ''] = raw.split('?', 2);
  const path = pathPart.replace(/\/+$/, '') || '/';
  const query = new URLSearchParams(queryPart);
  for (const [re, name] of patterns) {
    const m = re.exec(path);
    if (m) {
      const key = m[1] ? decodeURIComponent(m[1]) : '';
      const sub = m[2] ? decodeURIComponent(m[2]) : '';
      return { name, path, id: /^\d+$/.test(key) ? Number(key) : 0, key, sub, query };
    }
  }
  return { name: 'not-found', path, id: 0, key: '', sub: '', query };
}

export const router = $state<{ route: Route }>({ route: parseHash(location.hash) });

window.addEventListener('hashchange', () => {
  router.route = parseHash(location.hash);
});

/** Navigates to a hash path such as '/releases/12'. */
export function navigate(path: string, replace = false): void {
  const hash = '#' + (path.startsWith('/') ? path : '/' + path);
  if (replace) {
    history.replaceState(null, '', hash);
    router.route = parseHash(hash);
  } else if (location.hash === hash) {
    router.route = parseHash(hash);
  } else {
    location.hash = hash;
  }
}

export function href(path: string): string {
  return '#' + (path.startsWith('/') ? path : '/' + path);
}

/**
 * Writes a screen's filters into the address (#/path?k=v…) without navigating,
 * so that a reload, Back or a shared link shows the same: an empty, null or
 * undefined value is left out.
 */
export function replaceQuery(path: string, params: Record<string, string | number | boolean | null | undefined>): void {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === '' || v === null || v === undefined) continue;
    p.set(k, String(v));
  }
  const qs = p.toString();
  history.replaceState(null, '', href(path) + (qs ? '?' + qs : ''));
}
