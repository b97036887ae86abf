import { api, call, setCsrfToken } from './api/client';
import type { paths } from './api/schema';

export type Me = paths['/api/auth/me']['get']['responses'][200]['content']['application/json'];

/** The signed-in person, shared by every page; `checked` once GET /api/auth/me has answered. */
class Session {
  user = $state<Me | null>(null);
  checked = $state(false);
  role = $derived(this.user?.role);
  isAdmin = $derived(this.user?.role === 'admin');

  set(user: Me | null) {
    this.user = user;
    this.checked = true;
    setCsrfToken(user?.csrfToken);
  }

  /** Who the cookie belongs to; null when there is no live session (a 401). */
  async refresh(): Promise<Me | null> {
    const { data, response } = await api.GET('/api/auth/me');
    if (response.status === 401) {
      this.set(null);
      return null;
    }
    if (!data) throw new Error(`GET /api/auth/me answered ${response.status}`);
    this.set(data);
    return data;
  }

  async signIn(email: string, password: string): Promise<Me> {
    const me = await call('Signing in', () => api.POST('/api/auth/login', { body: { email, password } }));
    this.set(me);
    return me;
  }

  async signOut(): Promise<void> {
    // A session that has already ended answers 401: signed out either way.
    await api.POST('/api/auth/logout').catch(() => undefined);
    this.set(null);
  }
}

export const session = new Session();
