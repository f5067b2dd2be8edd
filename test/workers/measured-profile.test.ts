/**
 * Issue 13's second done-when: the measured profile file
 * (docs/economics/measurements.json, written by `npm run cost` from the
 * production bundle's wide events) agrees with what the metering reports for
 * the same scripted operations here. When the request path changes (fewer
 * round trips, a rate-limit call), this fails until `npm run cost` measures
 * again, so the cost model never prices a path the app no longer takes.
 */
import { describe, expect, it } from 'vitest';
import measurements from '../../docs/economics/measurements.json';
import type { LogLine } from '../../src/platform/log/logger';
import { LEASE_METHODS } from '../../src/features/public-api/lease-methods';
import { emptyUsage, type Usage } from '../../src/platform/observe/usage';
import { call, signUpOwner } from './helpers';
import { capturedLines } from './log-capture';

const UNITS = new Set(['request', 'queue.message', 'cron', 'do.call', 'background']);
const FIELDS = Object.keys(emptyUsage()) as (keyof Usage)[];
/**
 * Metered rows read are the rows statements return (decision 0013), which
 * differ by a row with a tenant's state (its projects, its session): within
 * one row per operation. Every other counter must match exactly.
 */
const ROWS_READ_TOLERANCE = 1;

type Operation = keyof typeof measurements.operations;

/**
 * Everything one request set off, as its wide events report it: its own and
 * those of its trace (object calls, queue messages); its object calls
 * without the rate limit's leases, which the file keeps apart
 * (`rateLimitLeases`): whether an operation takes one depends on where it
 * fell in a lease and a minute window, here as in the measured workload.
 */
function usageOf(requestId: string): Usage {
  const lines = capturedLines();
  const request = lines.find((l) => l.msg === 'request' && l.requestId === requestId);
  if (!request) throw new Error(`no request line for ${requestId}`);
  const total = emptyUsage();
  const ofTrace = lines.filter((l): l is LogLine & { usage: Usage } => UNITS.has(l.msg) && l.traceId === request.traceId && typeof l.usage === 'object');
  for (const line of ofTrace) {
    for (const field of FIELDS) total[field] += line.usage[field];
  }
  total.doCalls -= ofTrace.filter((l) => l.msg === 'do.call' && LEASE_METHODS.includes(l.route ?? '')).length;
  return total;
}

function mean(samples: Usage[]): Usage {
  const m = emptyUsage();
  for (const field of FIELDS) m[field] = samples.reduce((n, s) => n + s[field], 0) / samples.length;
  return m;
}

/**
 * What the metering reported per operation when the file was measured: the
 * operation's figure, or, where the harness saw otherwise (D1's own rows,
 * which the wide events report only as a floor), the metered total recorded
 * in crossCheck.
 */
function meteredInFile(operation: Operation, field: keyof Usage): number {
  const { samples, perOperation } = measurements.operations[operation];
  const recorded = (measurements.crossCheck ?? []).find((d) => d.operation === operation && d.field === field);
  const metered = recorded ? recorded.metered / samples : perOperation[field];
  return field === 'doCalls' ? metered - perOperation.rateLimitLeases : metered;
}

function expectAgreement(operation: Operation, metered: Usage) {
  const rerun = `${operation}: the metering disagrees with docs/economics/measurements.json; if the request path changed on purpose, rerun \`npm run cost\``;
  for (const field of FIELDS) {
    const inFile = meteredInFile(operation, field);
    if (field === 'd1RowsRead') expect(Math.abs(metered[field] - inFile), `${rerun} (${field}: ${metered[field]} here, ${inFile} in the file)`).toBeLessThanOrEqual(ROWS_READ_TOLERANCE);
    else expect(metered[field], `${rerun} (${field})`).toBe(inFile);
  }
}

describe('the measured profile agrees with the metering', () => {
  it('was measured from the wide events, not the provisional harness', () => {
    expect(measurements).toMatchObject({ method: 'metering', provisional: false });
  });

  it('POST /api/t/:tenant/projects: a free tenant\'s first and second project, as the workload makes them', async () => {
    const owner = await signUpOwner('Measured');
    const samples: Usage[] = [];
    for (const name of ['Project 1', 'Project 2']) {
      const res = await call('POST', `/api/t/${owner.tenant.slug}/projects`, { token: owner.token, body: { name } });
      expect(res.status).toBe(201);
      samples.push(usageOf(res.headers.get('x-request-id') ?? ''));
    }
    expect(samples[0]?.d1RowsWritten).toBeGreaterThan(0);
    expectAgreement('api.projects.create', mean(samples));
  });

  it('GET /api/t/:tenant/projects: an owner\'s read', async () => {
    const owner = await signUpOwner('Measured Reader');
    const res = await call('GET', `/api/t/${owner.tenant.slug}/projects`, { token: owner.token });
    expect(res.status).toBe(200);
    expectAgreement('api.projects.list', usageOf(res.headers.get('x-request-id') ?? ''));
  });
});
