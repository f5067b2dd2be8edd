/**
 * What every script and test that starts local processes shares: ports on
 * the loopback, checked by binding them, and wrangler kept offline.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export const LOCAL_HOST = '127.0.0.1';

/** wrangler sends nothing anywhere: no metrics, no update check, no fetch of the Request.cf placeholder. */
export const OFFLINE_WRANGLER_ENV = { WRANGLER_SEND_METRICS: 'false', NO_UPDATE_NOTIFIER: '1', CLOUDFLARE_CF_FETCH_ENABLED: 'false' } as const;

/** Where the OS hands out ports to `listen(0)` (Linux: ip_local_port_range; elsewhere IANA's dynamic range). */
function ephemeralPorts(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return { low, high };
  } catch {
    // not Linux
  }
  return { low: 49152, high: 65535 };
}

/** The lowest port freePort picks: above the well-known and most registered services' ports. */
const FIRST_PICKED_PORT = 10_000;

/**
 * A port nothing listens on now, for a process we start to claim. Picked
 * below the OS's ephemeral range, never from it: a port the OS chose for
 * `listen(0)` and let go is the next one it may hand to any process's port-0
 * socket (workerd and wrangler open several) before ours binds it, which
 * once made `npm start`'s test fail with "Address already in use".
 */
export async function freePort(host = LOCAL_HOST): Promise<number> {
  const { low } = ephemeralPorts();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FIRST_PICKED_PORT + Math.floor(Math.random() * (low - FIRST_PICKED_PORT));
    if (await portIsFree(port, host)) return port;
  }
  throw new Error(`no free port between ${FIRST_PICKED_PORT} and ${low} after 100 tries`);
}

/** True when nothing listens on host:port (binding it is the only reliable test). */
export function portIsFree(port: number, host = LOCAL_HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
