/**
 * The base of every Durable Object class the Worker calls. Callers reach an
 * object through an instrumented namespace (instrument.ts), which turns
 * `stub.method(...args)` into `stub.traced(carrier, 'method', args)`; here
 * that call becomes a unit of work of its own: a child span of the caller's
 * trace, its D1 use counted (the object's env is instrumented too), one
 * `do.call` wide event, and its usage metered for the caller's tenant.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { createLogger } from '../log/logger';
import { instrumentEnv, type CallCarrier } from './instrument';
import { runAsUnit, UnitOfWork } from './usage';
import { finishUnit } from './wide-event';

/** The runtime's own entry points, never called through `traced`. */
const HANDLERS = new Set(['constructor', 'fetch', 'alarm', 'webSocketMessage', 'webSocketClose', 'webSocketError', 'traced']);

export abstract class ObservedDurableObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, instrumentEnv(env));
  }

  /** Runs one of the subclass's own methods as a traced unit of work; nothing else can be called this way. */
  async traced(carrier: CallCarrier, method: string, args: unknown[]): Promise<unknown> {
    const target = this.#ownMethod(method);
    const unit = new UnitOfWork('do.call', carrier.requestId, { traceparent: carrier.traceparent, tenantId: carrier.tenantId, principal: 'system' });
    const io = { env: this.env, log: createLogger(), waitUntil: (work: Promise<unknown>) => this.ctx.waitUntil(work) };
    try {
      const result = await runAsUnit(unit, () => target.apply(this, args));
      finishUnit(unit, { route: method }, io);
      return result;
    } catch (err) {
      finishUnit(unit, { route: method, error: err }, io);
      throw err;
    }
  }

  #ownMethod(method: string): (...args: unknown[]) => unknown {
    for (let proto = Object.getPrototypeOf(this) as object; proto !== ObservedDurableObject.prototype; proto = Object.getPrototypeOf(proto) as object) {
      const found = Object.getOwnPropertyDescriptor(proto, method)?.value as unknown;
      if (!HANDLERS.has(method) && typeof found === 'function') return found as (...args: unknown[]) => unknown;
    }
    throw new TypeError(`${this.constructor.name}: no method ${JSON.stringify(method)}`);
  }
}
