/**
 * Usage metering gathers finished units per isolate and adds them to each
 * tenant's meter once per flush (src/platform/observe/meter.ts), instead of
 * one object call per unit.
 */
import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/platform/env';
import { METER_FLUSH_MS, meterUnit, type MeterCounts } from '../../src/platform/observe/meter';
import { UnitOfWork } from '../../src/platform/observe/usage';

/** An env whose usage meters record every `add` instead of storing it. */
function recordingEnv() {
  const adds: { tenantId: string; date: string; counts: MeterCounts }[] = [];
  const USAGE_METER = {
    idFromName: (name: string) => name,
    get: () => ({ add: async (tenantId: string, date: string, counts: MeterCounts) => void adds.push({ tenantId, date, counts }) }),
  };
  // Only the meter binding is reached; the rest of Env is not.
  return { env: { USAGE_METER } as unknown as Env, adds };
}

function unit(tenantId: string, rows: number): UnitOfWork {
  const u = new UnitOfWork('request', crypto.randomUUID(), { tenantId, principal: 'user' });
  u.count({ d1Queries: 1, d1RoundTrips: 1, d1RowsRead: rows });
  return u;
}

const outcome = { route: '/api/t/:tenant/projects', durationMs: 3, status: 200, failed: false };

describe('usage metering per isolate', () => {
  it('adds the units of one flush to each tenant\'s meter in one call, summed', async () => {
    const { env, adds } = recordingEnv();
    const started = Date.now();
    await Promise.all([meterUnit(env, unit('t_a', 2), outcome), meterUnit(env, unit('t_a', 3), outcome), meterUnit(env, unit('t_b', 5), outcome), meterUnit(env, unit('t_a', 1), outcome)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(METER_FLUSH_MS - 5);
    expect(adds.map((a) => a.tenantId).sort()).toEqual(['t_a', 't_b']);
    expect(adds.find((a) => a.tenantId === 't_a')?.counts).toMatchObject({ requests: 3, d1Queries: 3, d1RowsRead: 6 });
    expect(adds.find((a) => a.tenantId === 't_b')?.counts).toMatchObject({ requests: 1, d1RowsRead: 5 });
  });

  it('adds nothing for an object call that used nothing, and starts a new flush for what comes after one', async () => {
    const { env, adds } = recordingEnv();
    // A rate-limit lease: an object call with no D1 and no call onwards.
    await meterUnit(env, new UnitOfWork('do.call', 'r', { tenantId: 't_c', principal: 'system' }), outcome);
    expect(adds).toEqual([]);
    await meterUnit(env, unit('t_c', 1), outcome);
    await meterUnit(env, unit('t_c', 1), outcome);
    expect(adds.map((a) => a.counts.requests)).toEqual([1, 1]);
  });
});
