/**
 * Flash messages: what a POST wants the next page to say, after its
 * redirect. Kept in a short-lived cookie sealed with AES-GCM (a key derived
 * from JWT_SECRET), so it cannot be forged or read outside the app; the one
 * place a secret rides in it (an API key shown once), it is encrypted.
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { fromBase64Url, pageKeys, toBase64Url } from './keys';
import type { PageEnv } from './page-env';

const FLASH_COOKIE = 'flash';
const FLASH_TTL_SECONDS = 60;
const IV_BYTES = 12;

export interface Flash {
  kind: 'success' | 'error' | 'info';
  message: string;
  /** A value to show once, verbatim, with a label (a new API key's secret, an invitation link). */
  reveal?: { label: string; value: string };
  /** A failed form post's input and messages, for the form on the page the post redirected to (PRG). */
  form?: { id: string; values: Record<string, string>; errors: Partial<Record<string, string[]>> };
}

const COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'Lax', path: '/' } as const;

async function seal<E extends PageEnv>(c: Context<E>, flash: Flash): Promise<string> {
  const [key] = await pageKeys(c.env, 'flash');
  if (!key) throw new Error('no flash key');
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(JSON.stringify(flash))));
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(sealed, IV_BYTES);
  return toBase64Url(out);
}

async function open<E extends PageEnv>(c: Context<E>, value: string): Promise<Flash | undefined> {
  const bytes = fromBase64Url(value);
  if (!bytes || bytes.byteLength <= IV_BYTES) return undefined;
  for (const key of await pageKeys(c.env, 'flash')) {
    try {
      const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES) }, key, bytes.slice(IV_BYTES));
      const flash = JSON.parse(new TextDecoder().decode(plain)) as Flash;
      return typeof flash.message === 'string' ? flash : undefined;
    } catch {
      // Sealed with another key, or tampered with: try the next key, then drop it.
    }
  }
  return undefined;
}

async function setFlash<E extends PageEnv>(c: Context<E>, flash: Flash): Promise<void> {
  setCookie(c, FLASH_COOKIE, await seal(c, flash), { ...COOKIE_OPTIONS, maxAge: FLASH_TTL_SECONDS });
}

/** Per request: the page and its forms read the same flash, which is taken from the cookie once. */
const taken = new WeakMap<Request, Promise<Flash | undefined>>();

/** Reads the flash and clears it: it is shown once, by the page that renders next. */
export function takeFlash<E extends PageEnv>(c: Context<E>): Promise<Flash | undefined> {
  let flash = taken.get(c.req.raw);
  if (!flash) {
    const value = getCookie(c, FLASH_COOKIE);
    if (value) deleteCookie(c, FLASH_COOKIE, COOKIE_OPTIONS);
    flash = value ? open(c, value) : Promise.resolve(undefined);
    taken.set(c.req.raw, flash);
  }
  return flash;
}

/** Post/redirect/get: 303 to `location`, with a message for the page there. */
export async function redirectWithFlash<E extends PageEnv>(c: Context<E>, location: string, flash: Flash): Promise<Response> {
  await setFlash(c, flash);
  return c.redirect(location, 303);
}
