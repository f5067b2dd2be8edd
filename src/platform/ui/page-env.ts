import type { Role } from '../db/schema';
import type { AppEnv, Env } from '../env';

export type { Role };

/** The signed-in person as the page chrome shows them: who they are and their organisations (the switcher). */
export interface Viewer {
  user: { id: string; email: string; name: string };
  memberships: { tenant: { id: string; slug: string; name: string }; role: Role }[];
}

export type LoadViewer = (env: Env, userId: string) => Promise<Viewer>;

// Typed once for every context (hono's ContextVariableMap); set by the page middleware only.
declare module 'hono' {
  interface ContextVariableMap {
    /** The CSRF token for the forms this request renders (see csrf.ts). */
    csrfToken: string;
    /** Loads the viewer once per request, when a page is actually rendered; null when signed out. */
    viewer: () => Promise<Viewer | null>;
  }
}

/** Pages run with the app's own bindings and variables. */
export type PageEnv = AppEnv;
