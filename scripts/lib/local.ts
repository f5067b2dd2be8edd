/**
 * What every script and test that starts local processes shares: ports on
 * the loopback, checked by binding them, and wrangler kept offline.
 */
import { createServer } from 'node:net';

export const LOCAL_HOST = '127.0.0.1';

/** wrangler sends nothing anywhere: no metrics, no update check, no fetch of the Request.cf placeholder. */
export const OFFLINE_WRANGLER_ENV = { WRANGLER_SEND_METRICS: 'false', NO_UPDATE_NOTIFIER: '1', CLOUDFLARE_CF_FETCH_ENABLED: 'false' } as const;

/** A port nothing listens on now, chosen by the OS. */
export function freePort(host = LOCAL_HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** True when nothing listens on host:port (binding it is the only reliable test). */
export function portIsFree(port: number, host = LOCAL_HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
