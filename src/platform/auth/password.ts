import type { Env } from '../env';

/** What hashing reads of the environment: the count new hashes get depends on it. */
type HashEnv = Pick<Env, 'ENVIRONMENT' | 'PASSWORD_ITERATIONS'>;

/**
 * Password hashing with PBKDF2-SHA256 through WebCrypto and a per-user salt.
 * 100,000 iterations is the most the Workers runtime allows for PBKDF2; the
 * count is stored with the hash, so raising it later only needs a rehash on login.
 */
const ALGORITHM = 'pbkdf2_sha256';
const ITERATIONS = 100_000;
const SALT_BYTES = 16;
const KEY_BITS = 256;

const encoder = new TextEncoder();

/**
 * The iteration count a new hash gets: always ITERATIONS, except that the
 * test suites set `PASSWORD_ITERATIONS` lower (they hash hundreds of fixture
 * passwords; decision 0023-ci-test-password-iterations). Honoured only where
 * ENVIRONMENT is `test`, so no deployed environment can be weakened by a var.
 */
function iterationsFor(env: HashEnv): number {
  if (env.ENVIRONMENT !== 'test' || !env.PASSWORD_ITERATIONS) return ITERATIONS;
  const lowered = Number(env.PASSWORD_ITERATIONS);
  return Number.isSafeInteger(lowered) && lowered >= 1 && lowered < ITERATIONS ? lowered : ITERATIONS;
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array<ArrayBuffer>> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, material, KEY_BITS);
  return new Uint8Array(bits);
}

function equalInConstantTime(a: Uint8Array<ArrayBuffer>, b: Uint8Array<ArrayBuffer>): boolean {
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}

export async function hashPassword(env: HashEnv, password: string): Promise<string> {
  const iterations = iterationsFor(env);
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return [ALGORITHM, iterations, toBase64(salt), toBase64(hash)].join('$');
}

/** Checks against the iteration count stored with the hash, whatever new hashes get. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [algorithm, iterations, salt, hash] = stored.split('$');
  if (algorithm !== ALGORITHM || !iterations || !salt || !hash) return false;
  const actual = await derive(password, fromBase64(salt), Number(iterations));
  return equalInConstantTime(actual, fromBase64(hash));
}

/**
 * A hash of nothing in particular, verified against when the email is unknown,
 * so that "no such user" and "wrong password" take the same time: one per
 * iteration count, the count real hashes get in this environment.
 */
const decoyHashes = new Map<number, Promise<string>>();
export function decoyPasswordHash(env: HashEnv): Promise<string> {
  const iterations = iterationsFor(env);
  let decoy = decoyHashes.get(iterations);
  if (!decoy) {
    decoy = hashPassword(env, crypto.randomUUID());
    decoyHashes.set(iterations, decoy);
  }
  return decoy;
}
