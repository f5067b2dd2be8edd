/** A URL-safe random secret of `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
}

/** SHA-256 as hex: how secrets (invitation tokens, API keys) are stored and looked up. */
export async function sha256Hex(text: string): Promise<string> {
  return Array.from(new Uint8Array(await sha256(text)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compares two secrets without leaking, through timing, how much of them matched (their digests have one length). */
export async function secretsEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(presented), sha256(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

const encoder = new TextEncoder();

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (ch) => ch.charCodeAt(0));
}

/**
 * AES-GCM: a fresh 96-bit IV, then the ciphertext and its tag, base64url.
 * `context` (additional data) binds the value to where it is stored, so a
 * sealed value copied to another row does not open there.
 */
export async function seal(aes: CryptoKey, plain: string, context = ''): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const cipher = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(context) }, aes, encoder.encode(plain)));
  const out = new Uint8Array(iv.length + cipher.length);
  out.set(iv);
  out.set(cipher, iv.length);
  return toBase64Url(out);
}

/** Opens what `seal` made with the same key and context; throws when either differs or the value was altered. */
export async function openSealed(aes: CryptoKey, sealed: string, context = ''): Promise<string> {
  const bytes = fromBase64Url(sealed);
  return new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(0, 12), additionalData: encoder.encode(context) }, aes, bytes.slice(12)));
}

/** A key's id: the first 6 bytes of its secret's SHA-256, in hex. It names the key in what the key signed or sealed, and reveals nothing of it. */
export async function keyIdOf(secret: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret)));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** `importKey` memoised per secret: a key is imported once per isolate, not per request. */
export function oncePerSecret<K>(importKey: (secret: string) => Promise<K>): (secret: string) => Promise<K> {
  const cache = new Map<string, Promise<K>>();
  return (secret) => {
    let entry = cache.get(secret);
    if (!entry) {
      entry = importKey(secret);
      cache.set(secret, entry);
    }
    return entry;
  };
}
