/**
 * A TCP relay between the Worker and the Stripe emulator, so the network to
 * Stripe can go down without the emulator losing its in-memory state:
 * `down` closes the listener and cuts every open connection (the Worker sees
 * ECONNREFUSED / resets, as when api.stripe.com is unreachable); `up` opens it
 * again on the same port.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface StripeProxy {
  port: number;
  isDown(): boolean;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export async function startStripeProxy(host: string, port: number, target: { host: string; port: number }): Promise<StripeProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const makeServer = () =>
    createServer((client) => {
      const upstream = connect(target.port, target.host);
      track(client);
      track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });

  let server: Server | null = makeServer();
  const boundPort = await listen(server, port, host);
  const closeServer = async () => {
    const current = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  return {
    port: boundPort,
    isDown: () => server === null,
    down: closeServer,
    async up() {
      if (server) return;
      server = makeServer();
      await listen(server, boundPort, host);
    },
    close: closeServer,
  };
}
