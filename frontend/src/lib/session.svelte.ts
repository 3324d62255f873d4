import { login, logout, me, type Role, type User } from './api';
import { connect, disconnect } from './events';

export const session = $state<{ user: User | null; checked: boolean }>({ user: null, checked: false });

export function hasRole(...roles: Role[]): boolean {
  const u = session.user;
  return !!u && u.roles.some((r) => roles.includes(r));
}

export async function restore(): Promise<void> {
  try {
    const s = await me();
    session.user = s.user;
    connect();
  } catch {
    session.user = null;
  } finally {
    session.checked = true;
  }
}

export async function signIn(username: string, password: string): Promise<void> {
  const s = await login(username, password);
  session.user = s.user;
  connect();
}

export async function signOut(): Promise<void> {
  disconnect();
  try {
    await logout();
  } catch {
    // The session is dropped locally either way.
  }
  session.user = null;
}

/** The server said 401: the session is gone. */
export function expire(): void {
  disconnect();
  session.user = null;
}
