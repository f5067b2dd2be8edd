/**
 * The chaos run's Worker entry: the real Worker and TenantDO from
 * src/index.ts, plus fault seams that production builds never contain.
 *
 * Only `npm run chaos` runs it, through a wrangler config it generates
 * (scripts/chaos/stack.ts) whose `main` is this file; wrangler.toml's `main`
 * stays src/index.ts, and test/node/chaos.test.ts builds the production
 * bundle and checks that nothing of this file is in it.
 *
 * Seams, set over HTTP under /__chaos (bearer CHAOS_TOKEN):
 * - `env.DB` fails a fraction of its statements with D1's own "Network
 *   connection lost", half of them before the statement ran and half after
 *   it committed (the ambiguous failure a real network gives);
 * - the stripe-events consumer crashes mid-batch: it processes a prefix of
 *   the batch, the last message of which gets its effect but never its ack,
 *   then throws, as a process dying between the two would;
 * - a tenant's Durable Object is reset (`ctx.abort()`), or reconciled now
 *   (what its alarm does every ten minutes).
 */
import worker, { TenantDO as RealTenantDO } from '../../../src/index';

/** The metering object runs as deployed: its faults are not this experiment's. */
export { CallerLimiter, UsageMeter } from '../../../src/index';

type Env = ConstructorParameters<typeof RealTenantDO>[1];
type ChaosEnv = Env & { CHAOS_TOKEN?: string };
type QueueBatch = Parameters<typeof worker.queue>[0];
type QueueMessage = QueueBatch['messages'][number];

interface Faults {
  /** Fraction of D1 calls (statements and batches) that fail. */
  d1FailRate: number;
  /** Batches of the stripe-events queue still to crash, and after how many messages. */
  crashBatches: number;
  crashAfter: number;
}

const faults: Faults = { d1FailRate: 0, crashBatches: 0, crashAfter: 1 };
const counters = { d1Calls: 0, d1FailedBefore: 0, d1FailedAfter: 0, consumerCrashes: 0, objectResets: 0 };

function d1Error(when: 'before' | 'after'): Error {
  return new Error(`D1_ERROR: Network connection lost. (chaos: injected ${when} the statement ran)`);
}

/** Runs one D1 call, or fails it as the fault rate says: before it ran, or after it committed. */
async function faulted<T>(call: () => Promise<T>): Promise<T> {
  counters.d1Calls++;
  if (faults.d1FailRate <= 0 || Math.random() >= faults.d1FailRate) return call();
  if (Math.random() < 0.5) {
    counters.d1FailedBefore++;
    throw d1Error('before');
  }
  await call();
  counters.d1FailedAfter++;
  throw d1Error('after');
}

const EXECUTORS = new Set<PropertyKey>(['first', 'run', 'all', 'raw']);
/** Our statement wrappers → D1's own statements, which `batch` needs. */
const realStatements = new WeakMap<object, D1PreparedStatement>();

function chaosStatement(real: D1PreparedStatement): D1PreparedStatement {
  const wrapped = new Proxy(real, {
    get(target, prop) {
      if (prop === 'bind') return (...values: unknown[]) => chaosStatement(target.bind(...values));
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (EXECUTORS.has(prop)) return (...args: unknown[]) => faulted(() => value.apply(target, args) as Promise<unknown>);
      return value.bind(target);
    },
  });
  realStatements.set(wrapped, real);
  return wrapped;
}

function chaosD1(real: D1Database): D1Database {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => chaosStatement(target.prepare(query));
      // A batch is one transaction: it fails whole, before or after it committed.
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) => faulted(() => target.batch(statements.map((s) => realStatements.get(s) ?? s)));
      }
      if (prop === 'exec') return (query: string) => faulted(() => target.exec(query));
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const chaosEnvs = new WeakMap<Env, Env>();
function withFaults(env: Env): Env {
  let wrapped = chaosEnvs.get(env);
  if (!wrapped) {
    wrapped = { ...env, DB: chaosD1(env.DB) };
    chaosEnvs.set(env, wrapped);
  }
  return wrapped;
}

/** The real TenantDO, reading D1 through the same faulty binding, and resettable. */
export class TenantDO extends RealTenantDO {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, withFaults(env));
  }

  /** A reset, as an overload or a code push does: in-memory state gone, storage kept. */
  async chaosReset(): Promise<void> {
    this.ctx.abort('chaos: object reset');
  }
}

function objectOf(env: Env, tenantId: string): DurableObjectStub<TenantDO> {
  const namespace = env.TENANT_DO as unknown as DurableObjectNamespace<TenantDO>;
  return namespace.get(namespace.idFromName(tenantId));
}

/** A message whose effect happens but whose ack is lost with the process. */
function ackLost(message: QueueMessage): QueueMessage {
  return {
    id: message.id,
    timestamp: message.timestamp,
    body: message.body,
    attempts: message.attempts,
    ack: () => undefined,
    retry: (options) => message.retry(options),
  };
}

async function crashingConsume(batch: QueueBatch, env: Env, ctx: ExecutionContext): Promise<void> {
  const processed = batch.messages.slice(0, Math.max(1, faults.crashAfter));
  faults.crashBatches--;
  counters.consumerCrashes++;
  const messages = processed.map((message, i) => (i === processed.length - 1 ? ackLost(message) : message));
  await worker.queue({ ...batch, queue: batch.queue, messages, ackAll: () => batch.ackAll(), retryAll: (o) => batch.retryAll(o) }, env, ctx);
  throw new Error(`chaos: consumer crashed after ${processed.length} of ${batch.messages.length} messages`);
}

function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}

const TENANT_PATH = /^\/__chaos\/tenants\/([\w-]+)\/(reset|reconcile)$/;

async function chaosControl(request: Request, env: ChaosEnv): Promise<Response> {
  if (!env.CHAOS_TOKEN || request.headers.get('Authorization') !== `Bearer ${env.CHAOS_TOKEN}`) return json({ error: 'chaos token required' }, 401);
  const { pathname } = new URL(request.url);
  if (pathname === '/__chaos/faults') {
    if (request.method === 'POST') {
      const body: Partial<Faults> = await request.json();
      if (body.d1FailRate !== undefined) faults.d1FailRate = Math.min(1, Math.max(0, Number(body.d1FailRate)));
      if (body.crashBatches !== undefined) faults.crashBatches = Math.max(0, Math.floor(Number(body.crashBatches)));
      if (body.crashAfter !== undefined) faults.crashAfter = Math.max(1, Math.floor(Number(body.crashAfter)));
    }
    return json({ faults, counters });
  }
  const tenantAction = request.method === 'POST' ? TENANT_PATH.exec(pathname) : null;
  if (tenantAction) {
    const [, tenantId = '', action] = tenantAction;
    const object = objectOf(env, tenantId);
    if (action === 'reconcile') return json(await object.reconcile(tenantId));
    counters.objectResets++;
    // The reset breaks the call that asked for it, which is the point.
    await object.chaosReset().catch(() => undefined);
    return json({ reset: tenantId });
  }
  return json({ error: 'no such chaos control' }, 404);
}

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname.startsWith('/__chaos/')) return chaosControl(request, env);
    return worker.fetch(request, withFaults(env), ctx);
  },

  queue(batch, env, ctx) {
    if (batch.queue !== env.STRIPE_EVENTS_DLQ && faults.crashBatches > 0) return crashingConsume(batch, withFaults(env), ctx);
    return worker.queue(batch, withFaults(env), ctx);
  },

  scheduled(controller, env, ctx) {
    return worker.scheduled(controller, withFaults(env), ctx);
  },
} satisfies ExportedHandler<ChaosEnv, QueueBatch['messages'][number]['body']>;
