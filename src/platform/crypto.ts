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
