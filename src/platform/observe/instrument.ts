/**
 * The resource-counting seam. `instrumentEnv(env)` gives the same bindings,
 * each counting into the unit of work running at the time (usage.ts):
 * D1 statements, round trips and rows from D1's result `meta`; Durable
 * Object calls (which also carry the trace, see durable-object.ts); queue
 * sends (which also carry `traceparent` in the message body). The context
 * factory and the edge hand out only instrumented envs, so services count
 * without knowing it. Bindings are recognised by shape, so the platform
 * names no feature's binding.
 */
import { countUsage, currentUnit } from './usage';
import { traceparentOf } from './trace';

const RAW = Symbol('uninstrumented env');
type Instrumented<E> = E & { [RAW]?: E };
const cache = new WeakMap<object, object>();

/** The env with every D1 database, Durable Object namespace and queue producer counting into the current unit. */
export function instrumentEnv<E extends object>(env: E): E {
  if ((env as Instrumented<E>)[RAW]) return env;
  const cached = cache.get(env);
  if (cached) return cached as E;
  const wrapped: Instrumented<E> = { ...env, [RAW]: env };
  for (const [name, binding] of Object.entries(env)) {
    if (isD1(binding)) Object.assign(wrapped, { [name]: countedD1(binding) });
    else if (isDurableObjectNamespace(binding)) Object.assign(wrapped, { [name]: tracedNamespace(binding) });
    else if (isQueue(binding)) Object.assign(wrapped, { [name]: tracedQueue(binding) });
  }
  cache.set(env, wrapped);
  return wrapped;
}

/**
 * The instrumented env with `db` as its D1 database `DB` (a request's D1
 * session): the other bindings are the env's own instrumented ones, wrapped
 * once per env rather than once per request.
 */
export function withDatabase<E extends { DB: D1Database }>(env: E, db: D1Database): E {
  const raw = uninstrumented(env);
  // Views over the envs (their own DB in front), not copies: copying every binding and var twice per request showed in the profile.
  // Object.create is typed `any`; each view has its prototype's members and the ones defined here.
  const rawView = Object.create(raw, { DB: { value: db, enumerable: true } }) as E;
  return Object.create(instrumentEnv(raw), { DB: { value: countedD1(db), enumerable: true }, [RAW]: { value: rawView } }) as E;
}

/** The bindings as the runtime gave them: for the meter, whose own calls are not the tenant's usage. */
export function uninstrumented<E extends object>(env: E): E {
  return (env as Instrumented<E>)[RAW] ?? env;
}

function isD1(value: unknown): value is D1Database {
  return typeof value === 'object' && value !== null && 'prepare' in value && 'batch' in value && 'exec' in value;
}
function isDurableObjectNamespace(value: unknown): value is DurableObjectNamespace {
  return typeof value === 'object' && value !== null && 'idFromName' in value && 'get' in value;
}
function isQueue(value: unknown): value is Queue {
  return typeof value === 'object' && value !== null && 'send' in value && 'sendBatch' in value;
}

// ---------------------------------------------------------------- D1

function countResult(result: D1Result | D1ExecResult | undefined): void {
  const meta = result && 'meta' in result ? (result.meta as Partial<D1Meta> | undefined) : undefined;
  countUsage({ d1RowsRead: meta?.rows_read ?? 0, d1RowsWritten: meta?.rows_written ?? 0 });
}

/**
 * A prepared statement that counts when it runs. `raw()` and `first()` (the
 * forms drizzle's typed selects use) get no `meta` from D1, so they count
 * the rows they return as rows read: a lower bound, as D1 may scan more.
 */
class CountedStatement {
  constructor(readonly inner: D1PreparedStatement) {}

  bind(...values: unknown[]): D1PreparedStatement {
    return new CountedStatement(this.inner.bind(...values)) as unknown as D1PreparedStatement;
  }

  async first(column?: string): Promise<unknown> {
    const row: unknown = column === undefined ? await this.inner.first() : await this.inner.first(column);
    countUsage({ d1Queries: 1, d1RoundTrips: 1, d1RowsRead: row === null ? 0 : 1 });
    return row;
  }

  async run(): Promise<D1Result> {
    const result = await this.inner.run();
    countUsage({ d1Queries: 1, d1RoundTrips: 1 });
    countResult(result);
    return result;
  }

  async all(): Promise<D1Result> {
    const result = await this.inner.all();
    countUsage({ d1Queries: 1, d1RoundTrips: 1 });
    countResult(result);
    return result;
  }

  async raw(options?: { columnNames?: boolean }): Promise<unknown[]> {
    const rows: unknown[] = options?.columnNames ? await this.inner.raw({ columnNames: true }) : await this.inner.raw();
    const returned = options?.columnNames ? rows.length - 1 : rows.length;
    countUsage({ d1Queries: 1, d1RoundTrips: 1, d1RowsRead: Math.max(0, returned) });
    return rows;
  }
}

function countedD1(db: D1Database): D1Database {
  const counted = {
    prepare: (query: string) => new CountedStatement(db.prepare(query)) as unknown as D1PreparedStatement,
    async batch<T>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
      const inner = statements.map((s) => (s instanceof CountedStatement ? s.inner : s));
      const results = await db.batch<T>(inner);
      countUsage({ d1Queries: statements.length, d1RoundTrips: 1 });
      for (const result of results) countResult(result);
      return results;
    },
    async exec(query: string): Promise<D1ExecResult> {
      const result = await db.exec(query);
      countUsage({ d1Queries: result.count, d1RoundTrips: 1 });
      return result;
    },
    withSession: (constraint?: string) => db.withSession(constraint),
    dump: () => db.dump(),
  };
  return counted as unknown as D1Database;
}

// ---------------------------------------------------------------- Durable Objects

/** What travels with every Durable Object call: the trace and who the work is for. */
export interface CallCarrier {
  traceparent: string;
  requestId: string;
  tenantId: string | null;
}

/** Stub members that are not RPC methods of the object. */
const STUB_PROPERTIES = new Set(['id', 'name', 'fetch', 'connect', 'then', 'dup']);

/**
 * `stub.method(...args)` becomes `stub.traced(carrier, 'method', args)`: one
 * call, counted, with the caller's trace (every Durable Object class extends
 * ObservedDurableObject, which answers `traced`).
 */
function tracedStub(stub: DurableObjectStub): DurableObjectStub {
  return new Proxy(stub, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (typeof prop !== 'string' || STUB_PROPERTIES.has(prop)) return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        const unit = currentUnit();
        unit?.count({ doCalls: 1 });
        const carrier: CallCarrier = {
          traceparent: unit ? traceparentOf(unit.trace) : '',
          requestId: unit?.requestId ?? crypto.randomUUID(),
          tenantId: unit?.tenantId ?? null,
        };
        // The class's `traced` (ObservedDurableObject) is not on the generated stub type.
        return (target as unknown as { traced(c: CallCarrier, m: string, a: unknown[]): Promise<unknown> }).traced(carrier, prop, args);
      };
    },
  });
}

function tracedNamespace(ns: DurableObjectNamespace): DurableObjectNamespace {
  return new Proxy(ns, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (prop === 'get') return (id: DurableObjectId, opts?: DurableObjectNamespaceGetDurableObjectOptions) => tracedStub(target.get(id, opts));
      if (prop === 'getByName') return (name: string, opts?: DurableObjectNamespaceGetDurableObjectOptions) => tracedStub(target.getByName(name, opts));
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// ---------------------------------------------------------------- Queues

/** An object body gains `traceparent`, so the consumer's unit joins the sender's trace (queues.ts strips it again). */
function withTrace(body: unknown): unknown {
  const unit = currentUnit();
  if (!unit || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return { ...body, traceparent: traceparentOf(unit.trace) };
}

function tracedQueue(queue: Queue): Queue {
  const traced = {
    async send(body: unknown, options?: QueueSendOptions) {
      const sent = await queue.send(withTrace(body), options);
      countUsage({ queueMessages: 1 });
      return sent;
    },
    async sendBatch(messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) {
      const list = [...messages].map((m) => ({ ...m, body: withTrace(m.body) }));
      const sent = await queue.sendBatch(list, options);
      countUsage({ queueMessages: list.length });
      return sent;
    },
  };
  return traced as unknown as Queue;
}
