/**
 * Keys the pages derive from JWT_SECRET, one per purpose (HKDF with a label),
 * so a CSRF token can never be replayed as a session or a sealed flash, and
 * rotating JWT_SECRET rotates them all. Imported once per isolate and secret.
 */
import type { Env } from '../env';

export type KeyPurpose = 'csrf' | 'flash';

const cache = new Map<string, Promise<CryptoKey>>();

async function derive(secret: string, purpose: KeyPurpose): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'HKDF', false, ['deriveKey']);
  const params = { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode(`saas-slice pages ${purpose} v1`) };
  return purpose === 'csrf'
    ? crypto.subtle.deriveKey(params, material, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign'])
    : crypto.subtle.deriveKey(params, material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

function keyFor(secret: string, purpose: KeyPurpose): Promise<CryptoKey> {
  const id = `${purpose}\u0000${secret}`;
  let key = cache.get(id);
  if (!key) {
    key = derive(secret, purpose);
    cache.set(id, key);
  }
  return key;
}

/** The current key first, then the one being rotated out (it still verifies and opens, never signs or seals). */
export function pageKeys(env: Pick<Env, 'JWT_SECRET' | 'JWT_PREVIOUS_SECRET'>, purpose: KeyPurpose): Promise<CryptoKey[]> {
  if (!env.JWT_SECRET || env.JWT_SECRET.length < 32) throw new Error('JWT_SECRET must be set to at least 32 characters');
  const secrets = [env.JWT_SECRET, env.JWT_PREVIOUS_SECRET].filter((s): s is string => !!s);
  return Promise.all(secrets.map((secret) => keyFor(secret, purpose)));
}

export function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[\w-]*$/.test(text)) return null;
  try {
    return Uint8Array.from(atob(text.replaceAll('-', '+').replaceAll('_', '/')), (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}
