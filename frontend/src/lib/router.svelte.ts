// A small hash router: #/board, #/releases, #/releases/12, #/releases/new,
// #/releases/12/edit, #/calendar, #/admin/users, #/admin/freezes, #/audit, #/tokens.

export type RouteName =
  | 'board'
  | 'releases'
  | 'release-new'
  | 'release-detail'
  | 'release-edit'
  | 'calendar'
  | 'admin-users'
  | 'admin-freezes'
  | 'audit'
  | 'tokens'
  | 'not-found';

export interface Route {
  name: RouteName;
  path: string;
  id: number;
  query: URLSearchParams;
}

const patterns: [RegExp, RouteName][] = [
  [/^\/?$/, 'board'],
  [/^\/board$/, 'board'],
  [/^\/releases$/, 'releases'],
  [/^\/releases\/new$/, 'release-new'],
  [/^\/releases\/(\d+)$/, 'release-detail'],
  [/^\/releases\/(\d+)\/edit$/, 'release-edit'],
  [/^\/calendar$/, 'calendar'],
  [/^\/admin$/, 'admin-users'],
  [/^\/admin\/users$/, 'admin-users'],
  [/^\/admin\/freezes$/, 'admin-freezes'],
  [/^\/audit$/, 'audit'],
  [/^\/tokens$/, 'tokens'],
];

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [pathPart, queryPart = ''] = raw.split('?', 2);
  const path = pathPart.replace(/\/+$/, '') || '/';
  const query = new URLSearchParams(queryPart);
  for (const [re, name] of patterns) {
    const m = re.exec(path);
    if (m) return { name, path, id: m[1] ? Number(m[1]) : 0, query };
  }
  return { name: 'not-found', path, id: 0, query };
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
