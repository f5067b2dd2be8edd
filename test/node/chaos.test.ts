/**
 * The chaos harness (scripts/chaos): each invariant fails on a state that
 * breaks it; the fault seam cannot reach a production build; and the quick
 * subset of the experiments passes against the real stack.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Stripe from 'stripe';
import { describe, expect, test } from 'vitest';
import { unstable_readConfig } from 'wrangler';
import { EXPERIMENTS } from '../../scripts/chaos/experiments.ts';
import { checkInvariants, SEAT_GRACE_MS, type InvariantName, type Observations } from '../../scripts/chaos/invariants.ts';
import type { Snapshot } from '../../scripts/chaos/observe.ts';
import { chaosWranglerConfig, FAULT_ENTRY } from '../../scripts/chaos/stack.ts';
import { OFFLINE_WRANGLER_ENV } from '../../scripts/lib/local.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NOW = 1_800_000_000_000;
const TENANT = 'ten_a';
const OWNER = 'usr_owner';

/** One free tenant, its owner and a project, everything consistent. */
function healthy(): Snapshot {
  return {
    takenAt: NOW,
    d1: {
      tenants: [{ id: TENANT, slug: 'a' }],
      memberships: [{ tenantId: TENANT, userId: OWNER, role: 'owner' }],
      invitations: [],
      projects: [{ id: 'prj_1', tenantId: TENANT }],
      subscriptions: [{ tenantId: TENANT, plan: 'free', status: 'none', stripeCustomerId: null, stripeSubscriptionId: null, seatQuantity: null, currentPeriodEnd: null }],
      audit: [
        { id: 1, tenantId: TENANT, action: 'tenant.created', actorId: OWNER, targetId: TENANT, metadata: null },
        { id: 2, tenantId: TENANT, action: 'project.created', actorId: OWNER, targetId: 'prj_1', metadata: null },
      ],
      stripeEvents: [],
    },
    objects: [{ tenantId: TENANT, reconciledAt: NOW - 60_000, seatsLimit: 3, projectsLimit: 3, holders: [{ holder: `member:${OWNER}`, expiresAt: null, createdAt: NOW - 3_600_000 }] }],
    emulator: { customers: [], subscriptions: [], events: [] },
    deadVisible: [],
  };
}

/** A tenant on pro with 5 seats, as Stripe, D1 and the audit trail agree. */
function paid(): Snapshot {
  const s = healthy();
  s.d1.subscriptions = [
    { tenantId: TENANT, plan: 'pro', status: 'active', stripeCustomerId: 'cus_1', stripeSubscriptionId: 'sub_1', seatQuantity: 5, currentPeriodEnd: NOW + 86_400_000 },
  ];
  s.d1.audit.push(
    { id: 3, tenantId: TENANT, action: 'billing.customer_created', actorId: OWNER, targetId: 'cus_1', metadata: null },
    {
      id: 4,
      tenantId: TENANT,
      action: 'subscription.updated',
      actorId: null,
      targetId: 'sub_1',
      metadata: { from: { plan: 'free', status: 'none', seats: null }, to: { plan: 'pro', status: 'active', seats: 5 } },
    },
  );
  s.emulator.customers = [{ id: 'cus_1', tenantId: TENANT }];
  s.emulator.subscriptions = [subscription('sub_1', 'active', 5)];
  return s;
}

function subscription(id: string, status: Stripe.Subscription.Status, quantity: number, created = 1): Stripe.Subscription {
  return {
    id,
    status,
    created,
    customer: 'cus_1',
    items: { data: [{ price: { id: 'price_pro_monthly' }, quantity, current_period_end: (NOW + 86_400_000) / 1000 }] },
  } as unknown as Stripe.Subscription;
}

function broken(snapshot: Snapshot, extra: Partial<Observations> = {}): InvariantName[] {
  return checkInvariants({ snapshot, crossTenantReads: [], overLimit: [], underCounted: [], ...extra })
    .filter((i) => !i.ok)
    .map((i) => i.name);
}

describe('invariants', () => {
  test('a consistent state breaks none, free or paid', () => {
    expect(broken(healthy())).toEqual([]);
    expect(broken(paid())).toEqual([]);
  });

  test('a cross-tenant read', () => {
    expect(broken(healthy(), { crossTenantReads: ['t1 read /api/t/b/projects'] })).toEqual(['crossTenant']);
  });

  test('an event never stored, stored but never processed, or dead and not listed', () => {
    const s = healthy();
    s.emulator.events = ['evt_lost', 'evt_stuck', 'evt_dead', 'evt_ok', 'evt_dead_listed'].map((id, i) => ({ id, sequence: i + 1 }));
    s.d1.stripeEvents = [
      { id: 'evt_stuck', type: 'invoice.paid', processedAt: null, deadAt: null, attempts: 2, lastError: 'timeout' },
      { id: 'evt_dead', type: 'invoice.paid', processedAt: null, deadAt: NOW, attempts: 6, lastError: 'gone' },
      { id: 'evt_ok', type: 'invoice.paid', processedAt: NOW, deadAt: null, attempts: 1, lastError: null },
      { id: 'evt_dead_listed', type: 'invoice.paid', processedAt: null, deadAt: NOW, attempts: 6, lastError: 'gone' },
    ];
    s.deadVisible = ['evt_dead_listed'];
    const [events] = checkInvariants({ snapshot: s, crossTenantReads: [], overLimit: [], underCounted: [] }).filter((i) => i.name === 'events');
    expect(events?.violations.map((v) => v.split(' ')[0])).toEqual(['evt_lost', 'evt_stuck', 'evt_dead']);
    // An earlier experiment's lost event is that experiment's failure; its stuck one is still everyone's.
    const [later] = checkInvariants({ snapshot: s, crossTenantReads: [], overLimit: [], underCounted: [], eventsFrom: 1 }).filter((i) => i.name === 'events');
    expect(later?.violations.map((v) => v.split(' ')[0])).toEqual(['evt_stuck', 'evt_dead']);
  });

  test('more seats in D1 than the limit, now or at any sample', () => {
    const s = healthy();
    s.objects[0]!.seatsLimit = 0;
    expect(broken(s)).toContain('seats');
    expect(broken(healthy(), { overLimit: [{ at: NOW, tenantId: TENANT, used: 4, limit: 3 }] })).toEqual(['seats']);
  });

  test('an object counting fewer holders than D1, or keeping one past the grace window', () => {
    const lacking = healthy();
    lacking.objects[0]!.holders = [];
    expect(broken(lacking)).toEqual(['counts']);

    const stale = healthy();
    stale.objects[0]!.holders.push({ holder: 'invitation:inv_gone', expiresAt: null, createdAt: NOW - SEAT_GRACE_MS - 1 });
    expect(broken(stale)).toEqual(['counts']);

    const young = healthy();
    young.objects[0]!.holders.push({ holder: 'invitation:inv_in_flight', expiresAt: null, createdAt: NOW - 1000 });
    expect(broken(young)).toEqual([]);

    expect(broken(healthy(), { underCounted: ['ten_a: object counts 1, D1 has 2'] })).toEqual(['counts']);

    // An object whose first reconciliation has not happened reads D1 before it answers: nothing to compare.
    const uninitialised = healthy();
    uninitialised.objects[0] = { ...uninitialised.objects[0]!, reconciledAt: null, holders: [] };
    expect(broken(uninitialised)).toEqual([]);
  });

  test('object limits that differ from what D1 entitles', () => {
    const [counts] = checkInvariants({ snapshot: healthy(), crossTenantReads: [], overLimit: [], underCounted: [] }, new Map([[TENANT, { seats: 5, projects: 100 }]])).filter(
      (i) => i.name === 'counts',
    );
    expect(counts?.ok).toBe(false);
  });

  test('two live subscriptions for one tenant', () => {
    const s = paid();
    s.emulator.subscriptions.push(subscription('sub_2', 'active', 3, 2));
    expect(broken(s)).toContain('subscriptions');
    s.emulator.subscriptions[1] = subscription('sub_2', 'canceled', 3, 2);
    expect(broken(s)).not.toContain('subscriptions');
  });

  test('a row without its audit row', () => {
    const s = healthy();
    s.d1.projects.push({ id: 'prj_silent', tenantId: TENANT });
    expect(broken(s)).toEqual(['audit']);
  });

  test('a change audited twice, or a trail that does not end where D1 is', () => {
    const twice = paid();
    twice.d1.audit.push({ ...twice.d1.audit[3]!, id: 5 });
    expect(broken(twice)).toEqual(['audit']);

    const behind = paid();
    behind.d1.subscriptions[0]!.seatQuantity = 6;
    behind.emulator.subscriptions = [subscription('sub_1', 'active', 6)];
    expect(broken(behind)).toEqual(['audit']);
  });

  test('a seat reduction audited as it applied keeps the trail whole', () => {
    const s = paid();
    s.d1.subscriptions[0]!.seatQuantity = 4;
    s.emulator.subscriptions = [subscription('sub_1', 'active', 4)];
    s.d1.audit.push({ id: 5, tenantId: TENANT, action: 'billing.seats_change_requested', actorId: OWNER, targetId: 'sub_1', metadata: { from: 5, to: 4, appliesNow: true } });
    expect(broken(s)).toEqual([]);
  });

  test('billing that differs from Stripe', () => {
    const s = paid();
    s.emulator.subscriptions = [subscription('sub_1', 'active', 7)];
    expect(broken(s)).toContain('billing');
  });
});

/** A temp dir for one test, removed after it. */
function withTempDir<T>(prefix: string, use: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  try {
    return use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the fault seam stays out of production', () => {
  test('wrangler.toml deploys src/index.ts, at the top level and in every environment', () => {
    for (const env of [undefined, 'staging', 'production']) {
      const config = unstable_readConfig({ config: path.join(ROOT, 'wrangler.toml'), env });
      expect(path.resolve(ROOT, config.main ?? '')).toBe(path.join(ROOT, 'src', 'index.ts'));
    }
  });

  test('the production bundle contains nothing of the chaos entry', { timeout: 60_000 }, () =>
    withTempDir('saas-slice-prod-bundle-', (outdir) => {
      const build = spawnSync(
        process.execPath,
        [path.join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--env', 'production', '--outdir', outdir],
        { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...OFFLINE_WRANGLER_ENV, CI: '1' } },
      );
      expect(build.status, build.stderr).toBe(0);
      const bundle = readFileSync(path.join(outdir, 'index.js'), 'utf8');
      const map = JSON.parse(readFileSync(path.join(outdir, 'index.js.map'), 'utf8')) as { sources: string[] };
      expect(map.sources.some((source) => source.endsWith('src/index.ts'))).toBe(true);
      expect(map.sources.filter((source) => source.includes('scripts/chaos'))).toEqual([]);
      for (const marker of ['__chaos', 'chaosReset', 'crashBatches', 'd1FailRate', 'CHAOS_TOKEN']) expect(bundle).not.toContain(marker);
    }));

  test('nothing under src/ imports the chaos harness', () => {
    const files = readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    const importing = files.filter((f) => /scripts\/chaos|fault-entry/.test(readFileSync(path.join(ROOT, 'src', f), 'utf8')));
    expect(importing).toEqual([]);
  });

  test("the chaos config runs the fault entry and has no deployed environment", () => {
    const config = chaosWranglerConfig(readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8'));
    expect(config).toContain(`main = ${JSON.stringify(FAULT_ENTRY)}`);
    expect(config).not.toMatch(/^\[env\./m);
    expect(config).not.toContain('src/index.ts');
  });
});

describe('the quick chaos run', () => {
  test('every quick experiment passes against the real stack, and the report says so', { timeout: 180_000 }, () =>
    withTempDir('saas-slice-chaos-test-', (dir) => {
      const report = path.join(dir, 'report.md');
      const run = spawnSync(process.execPath, ['--no-warnings=ExperimentalWarning', path.join(ROOT, 'scripts/chaos/run.ts'), '--quick', '--report', report], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 170_000,
        killSignal: 'SIGTERM',
      });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      const text = readFileSync(report, 'utf8');
      for (const experiment of EXPERIMENTS.filter((e) => e.quick)) expect(text).toContain(`| [${experiment.title}](#${experiment.id}) | ✅ pass |`);
      expect(text).toContain('invariants at the end: all hold');
    }));
});
