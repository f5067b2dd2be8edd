/** A browser, as far as the pages care, for the page tests over the Worker's real fetch. */
import { exports } from 'cloudflare:workers';
import { ORIGIN, PASSWORD } from './helpers';

/** A browser, as far as the pages care: a cookie jar and an Origin header on posts. */
export class Browser {
  cookies = new Map<string, string>();

  async fetch(path: string, init: { method?: string; form?: Record<string, string>; origin?: string | null } = {}): Promise<Response> {
    const headers = new Headers();
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    let body: string | undefined;
    if (init.form) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(init.form).toString();
    }
    const method = init.method ?? (init.form ? 'POST' : 'GET');
    if (method === 'POST' && init.origin !== null) headers.set('origin', init.origin ?? ORIGIN);
    const res = await exports.default.fetch(`${ORIGIN}${path}`, { method, headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (attrs.some((a) => /max-age=0\b/i.test(a.trim())) || value === '') this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
    return res;
  }

  /** The CSRF token of the first form on `path`. */
  async token(path: string): Promise<string> {
    const html = await (await this.fetch(path)).text();
    const match = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!match?.[1]) throw new Error(`no CSRF token on ${path}`);
    return match[1];
  }

  async signIn(email: string): Promise<void> {
    const res = await this.fetch('/signin', { form: { _csrf: await this.token('/signin'), email, password: PASSWORD } });
    if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  }
}

