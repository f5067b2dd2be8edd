/**
 * Counts what a request costs in the resources that make its latency: D1
 * round trips (a statement's all/run/first/raw is one, a batch is one) and
 * calls to the tenant's Durable Object. The app's own fetch is handed an env
 * whose DB and TENANT_DO are wrapped here, so production code carries no
 * counting seam. Every statement's SQL is kept, for EXPLAIN QUERY PLAN.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { createApp } from '../../src/app';

export interface Statement {
  sql: string;
  params: unknown[];
}

export interface Cost {
  status: number;
  /** D1 round trips before the response was returned. */
  d1: number;
  /** Durable Object method calls before the response was returned. */
  durableObject: number;
  statements: Statement[];
  /** How each D1 session began: 'first-primary', 'first-unconstrained' or a bookmark. */
  sessions: string[];
  response: Response;
}

interface Meter {
  d1: number;
  durableObject: number;
  statements: Statement[];
  sessions: string[];
}

type AnyFunction = (...args: unknown[]) => unknown;

const EXECUTES = new Set(['all', 'run', 'first', 'raw']);

/** What a metered statement stands for: the real one (for a batch) and its SQL. */
const origins = new WeakMap<object, { real: D1PreparedStatement; statement: Statement }>();

function meteredStatement(real: D1PreparedStatement, statement: Statement, meter: Meter): D1PreparedStatement {
  const wrapped = new Proxy(real, {
    get(target, prop) {
      if (prop === 'bind') return (...values: unknown[]) => meteredStatement(target.bind(...values), { sql: statement.sql, params: values }, meter);
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (typeof prop === 'string' && EXECUTES.has(prop)) {
        return (...args: unknown[]) => {
          meter.d1 += 1;
          meter.statements.push(statement);
          return (value as AnyFunction).apply(target, args);
        };
      }
      return (value as AnyFunction).bind(target);
    },
  });
  origins.set(wrapped, { real, statement });
  return wrapped;
}

/** `prepare`, `batch` and `withSession` metered on a D1 database or one of its sessions. */
function meteredD1<T extends object>(real: T, meter: Meter): T {
  return new Proxy(real, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const method = (value as AnyFunction).bind(target);
      if (prop === 'prepare') return (sql: string) => meteredStatement(method(sql) as D1PreparedStatement, { sql, params: [] }, meter);
      if (prop === 'withSession') {
        return (constraint?: string) => {
          meter.sessions.push(constraint ?? 'first-unconstrained');
          return meteredD1(method(constraint) as object, meter);
        };
      }
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          meter.d1 += 1;
          const reals = statements.map((s) => {
            const origin = origins.get(s);
            if (origin) meter.statements.push(origin.statement);
            return origin?.real ?? s;
          });
          return method(reals);
        };
      }
      return method;
    },
  });
}

/** Every method called on a stub is one call to the object. */
function meteredDurableObjects<T extends object>(real: T, meter: Meter): T {
  const meteredStub = (stub: object) =>
    new Proxy(stub, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          meter.durableObject += 1;
          // Reflect.apply: an RPC method's own `apply` would be sent to the object as a call.
          return Reflect.apply(value as AnyFunction, target, args);
        };
      },
    });
  return new Proxy(real, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const method = (value as AnyFunction).bind(target);
      if (prop === 'get' || prop === 'getByName') return (...args: unknown[]) => meteredStub(method(...args) as object);
      return method;
    },
  });
}

const app = createApp();

/** Sends `request` through the app with metered bindings; counts what happened before the response came back. */
export async function measure(request: Request): Promise<Cost> {
  const meter: Meter = { d1: 0, durableObject: 0, statements: [], sessions: [] };
  const meteredEnv = { ...env, DB: meteredD1(env.DB, meter), TENANT_DO: meteredDurableObjects(env.TENANT_DO, meter) };
  const ctx = createExecutionContext();
  const response = await app.fetch(request, meteredEnv, ctx);
  const cost: Cost = { status: response.status, d1: meter.d1, durableObject: meter.durableObject, statements: [...meter.statements], sessions: [...meter.sessions], response };
  // Work after the answer (waitUntil: the outbox, an API key's last use) runs, but is not the request's latency.
  await waitOnExecutionContext(ctx);
  return cost;
}
