/**
 * The cost harness's entry module, loaded by workerd beside the unmodified
 * production bundle (`./index.js`, from `wrangler deploy --dry-run`). It is
 * never deployed: `scripts/cost/measure.ts` serves it through Miniflare.
 *
 * It meters what Cloudflare bills from outside the app, by wrapping the
 * bindings the bundle receives:
 *
 * - D1: a D1Database built on a tapped fetcher, so every query and batch the
 *   app sends is seen with the `meta` D1 answers (rows read and written,
 *   size after), whatever the result format (drizzle's `raw()` included);
 * - the TenantDO namespace: each RPC call on a stub counts (each is one
 *   billed Durable Object request); inside the object, every method and the
 *   alarm are timed, and the SQLite cursors they open give rows read/written;
 *   the UsageMeter object (the app's own metering, one add per unit of work)
 *   is timed and counted the same way, as billed requests, not as calls;
 * - the stripe-events queue: messages sent, and deliveries to the consumer;
 * - email: a `send_email` binding that counts what it is given.
 *
 * It also answers a few harness paths under `/__cost/` (usage so far, quiet
 * or not, D1 size, table sizes, a tenant object's size, its alarm, a D1
 * write benchmark on a scratch database). The app itself is untouched.
 */
import app, { CallerLimiter as AppCallerLimiter, TenantDO as AppTenantDO, UsageMeter as AppUsageMeter } from './index.js';

const HARNESS_PREFIX = '/__cost/';

function emptyUsage() {
  return {
    invocations: { fetch: 0, queue: 0, scheduled: 0 },
    d1: { queries: 0, roundTrips: 0, rowsRead: 0, rowsWritten: 0, byTable: {} },
    doCalls: 0,
    doRequests: 0,
    doWallMs: 0,
    doSqlRowsRead: 0,
    doSqlRowsWritten: 0,
    queueMessages: 0,
    queueDeliveries: 0,
    emails: 0,
  };
}

let usage = emptyUsage();
/** Work under way: invocations, waitUntil promises, Durable Object calls. */
let inFlight = 0;
/** Queue messages sent and not yet delivered once. */
let undelivered = 0;
let lastActivity = Date.now();

function begin() {
  inFlight++;
  lastActivity = Date.now();
}
function end() {
  inFlight--;
  lastActivity = Date.now();
}
async function tracked(work) {
  begin();
  try {
    return await work();
  } finally {
    end();
  }
}

// ---------------------------------------------------------------- D1

/** The table a statement is about: the first name after FROM, INTO, UPDATE or JOIN. */
function tableOf(sql) {
  const match = /\b(?:from|into|update|join)\s+["`[]?(\w+)/i.exec(sql);
  return match ? match[1] : 'other';
}

function recordD1(statements, results) {
  usage.d1.roundTrips++;
  usage.d1.queries += statements.length;
  statements.forEach((statement, i) => {
    const meta = results[i]?.meta ?? {};
    const read = meta.rows_read ?? 0;
    const written = meta.rows_written ?? 0;
    usage.d1.rowsRead += read;
    usage.d1.rowsWritten += written;
    const table = tableOf(statement.sql ?? '');
    const entry = (usage.d1.byTable[table] ??= { queries: 0, rowsRead: 0, rowsWritten: 0 });
    entry.queries++;
    entry.rowsRead += read;
    entry.rowsWritten += written;
  });
}

/** The D1 binding's own fetcher, observed: one fetch is one round trip, its body the statements, its answer their meta. */
function tappedFetcher(fetcher) {
  return {
    async fetch(input, init) {
      begin();
      try {
        const response = await fetcher.fetch(input, init);
        const body = JSON.parse(typeof init?.body === 'string' ? init.body : '[]');
        const statements = Array.isArray(body) ? body : [body];
        const answer = await response.clone().json().catch(() => null);
        recordD1(statements, Array.isArray(answer) ? answer : []);
        return response;
      } finally {
        end();
      }
    },
  };
}

// ---------------------------------------------------------------- Durable Objects

function meteredStub(stub) {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof prop !== 'string' || prop === 'then' || typeof value !== 'function') return value;
      return (...args) => {
        usage.doCalls++;
        return tracked(() => Reflect.apply(value, target, args));
      };
    },
  });
}

function meteredNamespace(namespace) {
  return new Proxy(namespace, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      if (prop === 'get' || prop === 'getByName') return (...args) => meteredStub(Reflect.apply(value, target, args));
      return value.bind(target);
    },
  });
}

/** Cursors opened by the object's SQL calls, read when the call that opened them ends. */
function watchSql(sql, cursors) {
  const exec = sql.exec.bind(sql);
  sql.exec = (...args) => {
    const cursor = exec(...args);
    cursors.push(cursor);
    return cursor;
  };
}

function settleCursors(cursors) {
  for (const cursor of cursors.splice(0)) {
    usage.doSqlRowsRead += cursor.rowsRead;
    usage.doSqlRowsWritten += cursor.rowsWritten;
  }
}

/** Times every method of `Base` and counts each call as one billed request, with its SQLite rows. */
function timedObject(Base) {
  class Timed extends Base {
    #cursors;

    constructor(ctx, env) {
      const cursors = [];
      watchSql(ctx.storage.sql, cursors);
      super(ctx, meteredEnv(env));
      this.#cursors = cursors;
    }

    async _timed(work) {
      usage.doRequests++;
      const started = Date.now();
      begin();
      try {
        return await work();
      } finally {
        usage.doWallMs += Date.now() - started;
        settleCursors(this.#cursors);
        end();
      }
    }
  }
  for (const name of Object.getOwnPropertyNames(Base.prototype)) {
    const original = Base.prototype[name];
    if (name === 'constructor' || typeof original !== 'function') continue;
    Object.defineProperty(Timed.prototype, name, {
      configurable: true,
      writable: true,
      value: function timedMethod(...args) {
        return this._timed(() => original.apply(this, args));
      },
    });
  }
  return Timed;
}

/** The app's TenantDO with metered bindings, each entry point timed and counted as one billed request. */
export class TenantDO extends timedObject(AppTenantDO) {
  /** Harness only: run the object's alarm now, as the runtime would when it falls due. */
  async costAlarm() {
    return this.alarm();
  }

  /** Harness only: the object's SQLite size in bytes. */
  async costSize() {
    return this.ctx.storage.sql.databaseSize;
  }
}

/** The app's usage meter: its adds are requests the app pays for, though no wide event counts them. */
export class UsageMeter extends timedObject(AppUsageMeter) {}

/** A person's rate limit outside tenants: its leases are requests the app pays for (the Worker needs every object class it binds). */
export class CallerLimiter extends timedObject(AppCallerLimiter) {}

// ---------------------------------------------------------------- queue and email

function meteredQueue(queue) {
  return {
    async send(body, options) {
      usage.queueMessages++;
      undelivered++;
      return tracked(() => queue.send(body, options));
    },
    async sendBatch(messages, options) {
      usage.queueMessages += messages.length;
      undelivered += messages.length;
      return tracked(() => queue.sendBatch(messages, options));
    },
  };
}

const countingEmail = {
  async send() {
    usage.emails++;
  },
};

// ---------------------------------------------------------------- the environment

const metered = new WeakMap();

function meteredEnv(env) {
  let wrapped = metered.get(env);
  if (!wrapped) {
    const overrides = {
      DB: new env.DB.constructor(tappedFetcher(env.DB.fetcher)),
      TENANT_DO: meteredNamespace(env.TENANT_DO),
      STRIPE_EVENTS: meteredQueue(env.STRIPE_EVENTS),
      EMAIL: countingEmail,
      EMAIL_FROM: 'cost-harness@saas-slice.test',
    };
    wrapped = new Proxy(env, { get: (target, prop) => (prop in overrides ? overrides[prop] : Reflect.get(target, prop)) });
    metered.set(env, wrapped);
  }
  return wrapped;
}

/** waitUntil work counts as in flight until it settles. */
function trackedCtx(ctx) {
  return {
    waitUntil(promise) {
      begin();
      ctx.waitUntil(Promise.resolve(promise).finally(end));
    },
    passThroughOnException: () => ctx.passThroughOnException(),
    props: ctx.props,
  };
}

// ---------------------------------------------------------------- harness paths

async function dbSize(env) {
  const result = await env.DB.prepare('SELECT 1').all();
  return result.meta.size_after;
}

async function tableRows(env) {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'",
  ).all();
  const counts = {};
  for (const { name } of results) {
    counts[name] = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM "${name}"`).first('n')) ?? 0;
  }
  return counts;
}

function tenantStub(env, tenantId) {
  return env.TENANT_DO.get(env.TENANT_DO.idFromName(tenantId));
}

/** Sequential single-row INSERTs (autocommit) on a scratch database, then `concurrency` writers at once. */
async function d1WriteBench(env, n, concurrency) {
  const db = env.COST_BENCH_DB;
  await db.prepare('DROP TABLE IF EXISTS bench').run();
  await db.prepare('CREATE TABLE bench (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, payload TEXT NOT NULL)').run();
  await db.prepare('CREATE INDEX bench_tenant ON bench (tenant_id, id)').run();
  const insert = (i) => db.prepare('INSERT INTO bench (tenant_id, payload) VALUES (?, ?)').bind(`ten_${i % 97}`, `row ${i} ${'x'.repeat(64)}`).run();
  let started = performance.now();
  let sqlMs = 0;
  for (let i = 0; i < n; i++) sqlMs += (await insert(i)).meta.duration ?? 0;
  const sequentialMs = performance.now() - started;
  let next = 0;
  started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) await insert(n + i);
    }),
  );
  const concurrentMs = performance.now() - started;
  await db.prepare('DROP TABLE bench').run();
  return { writes: n, sequentialMs, sqlMs, concurrency, concurrentMs };
}

async function harness(url, env) {
  const path = url.pathname.slice(HARNESS_PREFIX.length);
  const tenant = url.searchParams.get('tenant') ?? '';
  switch (path) {
    case 'take': {
      const taken = usage;
      usage = emptyUsage();
      return Response.json(taken);
    }
    case 'quiet':
      return Response.json({ inFlight, undelivered, idleMs: Date.now() - lastActivity });
    case 'd1-size':
      return Response.json({ bytes: await dbSize(env) });
    case 'table-rows':
      return Response.json(await tableRows(env));
    case 'do-size':
      return Response.json({ bytes: await tenantStub(env, tenant).costSize() });
    case 'alarm':
      await tenantStub(env, tenant).costAlarm();
      return Response.json({ ok: true });
    case 'd1-write-bench':
      return Response.json(await d1WriteBench(env, Number(url.searchParams.get('n') ?? 1000), Number(url.searchParams.get('concurrency') ?? 20)));
    default:
      return new Response('unknown harness path', { status: 404 });
  }
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname.startsWith(HARNESS_PREFIX)) return harness(url, env);
    usage.invocations.fetch++;
    return tracked(() => app.fetch(request, meteredEnv(env), trackedCtx(ctx)));
  },

  async queue(batch, env, ctx) {
    usage.invocations.queue++;
    usage.queueDeliveries += batch.messages.length;
    undelivered -= batch.messages.filter((message) => message.attempts === 1).length;
    return tracked(() => app.queue(batch, meteredEnv(env), trackedCtx(ctx)));
  },

  async scheduled(controller, env, ctx) {
    usage.invocations.scheduled++;
    return tracked(() => app.scheduled(controller, meteredEnv(env), trackedCtx(ctx)));
  },
};
