/**
 * docs/economics/cost-model.md and its chart, written from the model's
 * figures. Pure: the same inputs give the same bytes.
 */
import { logLogChart } from './chart.ts';
import { money, num, percent } from './format.ts';
import { firstCliff, growthRow, scalingCliffs } from './cliff.ts';
import { OPERATION_KINDS, type OperationKind } from './measurements.ts';
import { PRUNED } from '../../src/platform/retention/policy.ts';
import {
  allowanceCrossings,
  allowancesStopMattering,
  CRON_RUNS_PER_MONTH,
  cronModel,
  fleetCost,
  REFERENCE_FLEET,
  RESOURCES,
  tenantEconomics,
  type ModelInputs,
  type TenantEconomics,
} from './model.ts';
import type { CloudflareResource } from './prices.ts';
import { APP_SCHEDULES, CALENDAR, type TenantProfile } from './profiles.ts';
import { sensitivity } from './sensitivity.ts';

export const CHART_FILE = 'cost-per-tenant.svg';
const FLEET_SIZES = [10, 100, 1_000, 10_000, 100_000, 1_000_000];

const RESOURCE_LABELS: Record<CloudflareResource, string> = {
  workersRequests: 'Workers requests',
  workersCpuMs: 'Workers CPU (ms)',
  d1RowsRead: 'D1 rows read',
  d1RowsWritten: 'D1 rows written',
  d1StorageGbMonth: 'D1 storage (GB-month)',
  doRequests: 'Durable Object requests',
  doDurationGbS: 'Durable Object duration (GB-s)',
  doSqliteRowsRead: 'Object SQLite rows read',
  doSqliteRowsWritten: 'Object SQLite rows written',
  doSqliteStorageGbMonth: 'Object SQLite storage (GB-month)',
  queueOperations: 'Queue operations',
  analyticsEngineDataPoints: 'Analytics Engine data points',
  analyticsEngineReadQueries: 'Analytics Engine read queries',
  emailsSent: 'Emails sent',
};

// ---------------------------------------------------------------- formatting

const points = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)} pp`;
const tenantsLabel = (n: number | null) => (n === null ? 'not reached by 10⁹ tenants' : `${num(n)} tenants`);

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- the chart

/** A pro tenant of `seats` seats: the pro-10 profile's habits at another size. */
function proOfSize(template: TenantProfile, seats: number): TenantProfile {
  return { ...template, id: `pro-${seats}`, seats };
}

export function costChart(inputs: ModelInputs): string {
  const template = inputs.profiles.find((p) => p.id === 'pro-10');
  if (!template) throw new Error('the chart needs the pro-10 profile');
  const seats = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000];
  const pro = seats.map((n) => tenantEconomics(proOfSize(template, n), inputs));
  return logLogChart({
    title: 'Pro tenant: revenue and cost per month, by seats',
    xLabel: 'seats in the tenant',
    yLabel: 'US dollars per month',
    formatX: (x) => x.toLocaleString('en-US'),
    formatY: (y) => (y >= 1 ? `$${y.toLocaleString('en-US')}` : money(y)),
    series: [
      { name: 'Revenue (pro)', color: '#15803d', points: pro.map((e, i) => [seats[i] as number, e.revenue]) },
      { name: 'Enterprise price', color: '#15803d', dashed: true, points: seats.map((n) => [n, inputs.planPrices.enterpriseMonthly]) },
      { name: 'Stripe fees', color: '#b45309', points: pro.map((e, i) => [seats[i] as number, e.stripe.total]) },
      { name: 'Cloudflare cost', color: '#1d4ed8', points: pro.map((e, i) => [seats[i] as number, e.cloudflareTotal]) },
    ],
  });
}

// ---------------------------------------------------------------- the document

function pricesSection(inputs: ModelInputs): string {
  const cf = inputs.prices.cloudflare;
  const rows = RESOURCES.map((r) => {
    const p = cf[r];
    const per = p.per === 1 ? p.unit : `${num(p.per)} ${p.unit}`;
    return [RESOURCE_LABELS[r], num(p.included), `${money(p.price)} per ${per}`, `[source](${p.source})`, p.readOn, p.confirmed ? 'yes' : 'see note'];
  });
  const s = inputs.prices.stripe;
  rows.push(
    ['Workers Paid base fee', '—', `${money(cf.workersPaidBase.monthly)} a month per account`, `[source](${cf.workersPaidBase.source})`, cf.workersPaidBase.readOn, 'yes'],
    ['Stripe card fee (US)', '—', `${s.cardPercent.value}% + ${money(s.cardFixed.value)} per charge`, `[source](${s.cardPercent.source})`, s.cardPercent.readOn, s.cardPercent.confirmed ? 'yes' : 'see note'],
    ['Stripe Billing', '—', `${s.billingPercent.value}% of billing volume`, `[source](${s.billingPercent.source})`, s.billingPercent.readOn, s.billingPercent.confirmed ? 'yes' : 'see note'],
  );
  const notes = [...Object.entries(cf), ...Object.entries(inputs.prices.limits), ...Object.entries(s)]
    .filter(([, p]) => 'note' in p && p.note)
    .map(([name, p]) => `- \`${name}\`: ${(p as { note: string }).note}`);
  return [
    '## 1. Prices',
    '',
    `From [prices.json](prices.json) (${inputs.prices.howRead})`,
    '',
    table(['resource', 'included a month', 'then', 'source', 'read on', 'confirmed'], rows),
    '',
    'Notes on individual figures:',
    '',
    ...notes,
  ].join('\n');
}

function measuredSection(inputs: ModelInputs): string {
  const m = inputs.measurements;
  const opRows = OPERATION_KINDS.map((kind) => {
    const op = m.operations[kind];
    const u = op.perOperation;
    return [
      `\`${kind}\``,
      String(op.samples),
      num(u.requests),
      u.cpuMs === null ? '—' : num(u.cpuMs),
      `${num(u.d1Queries)} (${num(u.d1RoundTrips)})`,
      num(u.d1RowsRead),
      num(u.d1RowsWritten),
      num(u.d1StorageBytes),
      num(u.doRequests),
      num(u.doWallMs),
      num(u.queueMessages),
      num(u.emails),
      num(u.stripeCalls),
    ];
  });
  const cron = cronModel(m.cronRuns);
  const cronRows = m.cronRuns.map((run) => [
    run.label,
    String(run.tenants),
    String(run.customers),
    num(run.usage.d1Queries),
    num(run.usage.d1RowsRead),
    num(run.usage.d1RowsWritten),
    num(run.usage.doRequests),
    num(run.usage.stripeCalls),
    run.usage.cpuMs === null ? '—' : num(run.usage.cpuMs),
  ]);
  const b = m.d1WriteBenchmark;
  return [
    '## 2. What each operation uses (measured)',
    '',
    `Measured on ${m.measuredOn} (${m.environment.host}, Node ${m.environment.node}, wrangler ${m.environment.wrangler}, miniflare ${m.environment.miniflare}, ` +
      `compatibility date ${m.environment.compatibilityDate}); method \`${m.method}\`.`,
    '',
    m.methodNote,
    '',
    'Per operation, averaged over the samples; everything the operation set off is included (work after the response, the queue consumer, ' +
      'calls to the object). CPU is that of the whole local workerd process, an upper bound on what Cloudflare would bill. D1 bytes are the rows the ' +
      'operation added (or removed) times each table\'s bytes per row, indexes included.',
    '',
    table(['operation', 'samples', 'Worker invocations', 'CPU ms (≤)', 'D1 queries (round trips)', 'D1 rows read', 'D1 rows written', 'D1 bytes', 'object requests', 'object ms', 'queue messages', 'emails', 'Stripe calls'], opRows),
    '',
    `Operations that read a whole table (their reads grew with the table between measured blocks; the model reads as many rows as the table holds): ${
      OPERATION_KINDS.flatMap((kind) =>
        Object.entries(m.operations[kind].scans).map(([table, scan]) => `\`${kind}\` reads ${num(scan.rowsReadPerRow)} rows of \`${table}\` per row it holds`),
      ).join('; ') || 'none'
    }.`,
    '',
    `Stripe events the app receives: ${num(m.stripeEvents.perCheckout)} per paid checkout, ${num(m.stripeEvents.perSeatChange)} per seat change, ` +
      `${num(m.stripeEvents.perRenewal)} per monthly renewal.`,
    '',
    '**The cron job** (every 5 minutes: stored-but-unprocessed webhooks, reconciliation of up to 50 Stripe customers, the email outbox), ' +
      'measured twice:',
    '',
    table(['run', 'tenants', 'Stripe customers', 'D1 queries', 'D1 rows read', 'D1 rows written', 'object requests', 'Stripe calls', 'CPU ms (≤)'], cronRows),
    '',
    `From the two runs: tables read in full on every run (rows read per row held): ${
      Object.entries(cron.scanRowsReadPerRow)
        .map(([t, r]) => `\`${t}\` ${num(r)}`)
        .join(', ') || 'none'
    }; per customer reconciled: D1 queries ${num(cron.perCustomer.d1Queries)}, rows written ${num(cron.perCustomer.d1RowsWritten)}, ` +
      `Stripe calls ${num(cron.perCustomer.stripeCalls)}, object requests ${num(cron.perCustomer.doRequests)}.`,
    '',
    `**Storage.** Bytes per row, indexes included: ${Object.entries(m.storage.bytesPerRow)
      .map(([t, n]) => `\`${t}\` ${num(n)}`)
      .join(', ')}. A tenant's object holds ${num(m.storage.doBytesPerTenant)} bytes of SQLite. The local D1 file grew from ` +
      `${num(m.storage.d1BytesAtStart)} to ${num(m.storage.d1BytesAtEnd)} bytes over the run (${m.storage.tenants} tenants; whole pages, so more than the rows alone).`,
    '',
    `**D1 writes, locally.** ${num(b.writes)} single-row INSERTs, one after another, took ${num(b.sequentialMsPerWrite)} ms each through the binding ` +
      `(${num(b.sqlMsPerWrite)} ms of it inside SQLite, per D1's own \`meta.duration\`): ${num(1000 / b.sequentialMsPerWrite)} writes/s; ` +
      `${b.concurrency} writers at once managed ${num(b.concurrentWritesPerSecond)} writes/s — one database takes one query at a time, so concurrency adds nothing.`,
  ].join('\n');
}

function profilesSection(inputs: ModelInputs, economics: TenantEconomics[]): string {
  const { assumptions } = inputs;
  const profileRows = economics.map((e) => {
    const p = e.profile;
    const integration = Object.values(p.perTenantPerDay).reduce((a, b) => a + b, 0);
    return [p.label, String(p.seats), percent(p.activeSeatShare, 0), num(e.requestsPerSeatPerDay), num(integration), p.justification];
  });
  const used = OPERATION_KINDS.filter((kind) => economics.some((e) => (e.operations[kind] ?? 0) > 0));
  const opRows = used.map((kind: OperationKind) => [`\`${kind}\``, ...economics.map((e) => num(e.operations[kind] ?? 0))]);
  return [
    '## 3. How tenants use it (assumptions)',
    '',
    'Requests per seat per day are stated per calendar day, averaged over all seats; they follow from what an active seat does on a working ' +
      `day (one sign-in, as sessions last 12 hours; about 15 server-rendered page views, each one request; a few API reads; an edit to a project), ` +
      `the share of seats active on a working day, and ${num(CALENDAR.workingDaysPerMonth)} working days in a ${CALENDAR.daysPerMonth}-day month. ` +
      'Integrations holding an API key poll every 5 minutes, every day. Membership changes a tenth of the seats a month.',
    '',
    table(['profile', 'seats', 'seats active on a working day', 'requests per seat per day (people)', 'integration requests per day', 'why'], profileRows),
    '',
    `Every tenant also costs the same whatever it does: its object's alarm runs every ${APP_SCHEDULES.alarmIntervalMinutes} minutes ` +
      `(${num((CALENDAR.daysPerMonth * 24 * 60) / APP_SCHEDULES.alarmIntervalMinutes)} a month), and it shares the cron job ` +
      `(${num(CRON_RUNS_PER_MONTH)} runs a month, each reconciling up to ${APP_SCHEDULES.reconcileBatch} customers and reading the tables it scans in full). ` +
      `Sign-up and checkout happen once, spread over a ${assumptions.customerLifetimeMonths}-month lifetime; storage is priced at ${assumptions.tenantAgeMonths} months of age.`,
    '',
    'Operations per tenant per month:',
    '',
    table(['operation', ...economics.map((e) => e.profile.id)], opRows),
  ].join('\n');
}

function costSection(inputs: ModelInputs, economics: TenantEconomics[]): string {
  const usageRows = RESOURCES.map((r) => [RESOURCE_LABELS[r], ...economics.map((e) => `${num(e.usage[r])} · ${money(e.cloudflare[r])}`)]);
  const moneyRows = [
    ['Revenue', ...economics.map((e) => money(e.revenue))],
    ['Stripe card fee', ...economics.map((e) => money(e.stripe.card))],
    ['Stripe Billing', ...economics.map((e) => money(e.stripe.billing))],
    ['Cloudflare (marginal)', ...economics.map((e) => money(e.cloudflareTotal))],
    ['Gross profit', ...economics.map((e) => money(e.grossProfit))],
    ['Gross margin', ...economics.map((e) => (e.grossMargin === null ? '—' : percent(e.grossMargin)))],
    ['Cloudflare as a share of revenue', ...economics.map((e) => (e.revenue > 0 ? percent(e.cloudflareTotal / e.revenue, 3) : '—'))],
  ];
  const free = economics.find((e) => e.profile.plan === 'free');
  const top = (e: TenantEconomics) =>
    RESOURCES.slice()
      .sort((a, b) => e.cloudflare[b] - e.cloudflare[a])
      .slice(0, 3)
      .map((r) => `${RESOURCE_LABELS[r]} ${percent(e.cloudflare[r] / e.cloudflareTotal, 0)}`)
      .join(', ');
  return [
    '## 4. A month per tenant',
    '',
    `Usage · cost at list price, as if the allowances were used up (the marginal cost, what a tenant adds to a large account's bill); ` +
      `the cron job is shared out as in a fleet of ${num(REFERENCE_FLEET)} tenants.`,
    '',
    table(['resource', ...economics.map((e) => e.profile.label)], usageRows),
    '',
    table(['', ...economics.map((e) => e.profile.label)], moneyRows),
    '',
    `Revenue is what the app sells: pro at ${money(inputs.planPrices.proPerSeatMonthly)} per seat per month (\`price_pro_monthly\`), enterprise at ` +
      `${money(inputs.planPrices.enterpriseMonthly)} a month (\`price_enterprise_monthly\`, quantity 1, the seat count in its metadata — the app's only ` +
      'enterprise figure; a real contract would be priced by sales). Stripe: one card charge a month per paying tenant, plus Billing\'s share.',
    '',
    free
      ? `**The free plan** costs ${money(free.cloudflareTotal)} per tenant per month, **${money(1000 * free.cloudflareTotal)} per thousand free tenants** ` +
        `(at marginal prices; below the allowances, nothing beyond the $5 base fee). Where it goes: ${top(free)}.`
      : '',
    '',
    economics
      .filter((e) => e.profile.plan !== 'free')
      .map((e) => `- ${e.profile.label}: Cloudflare's cost goes mostly to ${top(e)}.`)
      .join('\n'),
  ].join('\n');
}

function fleetSection(inputs: ModelInputs): string {
  const mix = Object.entries(inputs.assumptions.fleetMix)
    .map(([id, share]) => `${percent(share, 1)} ${id}`)
    .join(', ');
  const rows = FLEET_SIZES.map((n) => {
    const c = fleetCost(n, inputs);
    const base = inputs.prices.cloudflare.workersPaidBase.monthly;
    const covered = c.marginal > 0 ? Math.max(0, c.marginal - (c.bill - base)) / c.marginal : 1;
    return [num(n), money(c.bill), money(c.perTenant), money(c.marginalPerTenant), percent(Math.min(1, covered), 0)];
  });
  const crossings = allowanceCrossings(inputs);
  const crossingRows = RESOURCES.slice()
    .sort((a, b) => (crossings[a] ?? Infinity) - (crossings[b] ?? Infinity))
    .map((r) => [RESOURCE_LABELS[r], num(inputs.prices.cloudflare[r].included), tenantsLabel(crossings[r])]);
  const stop = allowancesStopMattering(inputs);
  return [
    '## 5. A fleet: where the allowances stop mattering',
    '',
    `A fleet in the mix ${mix}. The account pays the $5 base fee and whatever exceeds each allowance.`,
    '',
    table(['tenants', 'Cloudflare bill a month', 'per tenant', 'marginal per tenant', 'usage covered by allowances'], rows),
    '',
    'Each allowance runs out at:',
    '',
    table(['resource', 'included a month', 'used up at'], crossingRows),
    '',
    `**From ${tenantsLabel(stop)} on, the allowances cover less than 5% of the usage**: cost per tenant is then the marginal cost of section 4. ` +
      'Below that, the account costs little more than the base fee, whatever the tenants do.',
  ].join('\n');
}

function sensitivitySection(inputs: ModelInputs): string {
  const result = sensitivity(inputs);
  const ids = Object.keys(result.baseMargins);
  const rows = result.rows.map((r) => [r.name, ...ids.map((id) => points(r.marginPoints[id] ?? 0)), `${r.freeCostChange >= 0 ? '+' : '−'}${percent(Math.abs(r.freeCostChange), 0)}`]);
  return [
    '## 6. Sensitivity: what moves margin most',
    '',
    `Each line changes one input and reruns the model. Base margins: ${ids.map((id) => `${id} ${percent(result.baseMargins[id] ?? 0)}`).join(', ')}; ` +
      `a free tenant costs ${money(result.baseFreeCost)} a month.`,
    '',
    table(['change', ...ids.map((id) => `${id} margin`), 'free tenant cost'], rows),
  ].join('\n');
}

function cliffSection(inputs: ModelInputs): string {
  const growth = FLEET_SIZES.map((n) => growthRow(n, inputs));
  const limits = inputs.prices.limits;
  const growthRows = growth.map((g) => [
    num(g.tenants),
    `${num(g.d1Gb)} GB (${percent(g.d1Gb / (limits.d1DatabaseBytes.value / 1e9), 1)})`,
    `${num(g.d1PeakQueriesPerSecond)} (${percent(g.d1PeakQueriesPerSecond / (1000 / inputs.assumptions.productionMsPerD1Query), 1)})`,
    num(g.d1PeakWritesPerSecond),
    num(g.queuePeakMessagesPerSecond),
    num(g.cronRowsReadPerRun),
    num(g.reconcileCycleHours),
  ]);
  const cliffs = scalingCliffs(inputs);
  const first = firstCliff(cliffs);
  const cliffRows = cliffs.map((c) => [c.name, c.limit, c.tenants === null ? '—' : num(c.tenants), c.arithmetic, c.kind === 'app' ? "the app's design" : 'platform']);
  return [
    '## 7. Scaling from 10 to 1,000,000 tenants',
    '',
    'One D1 database holds every tenant (the pool model, decision 0004). Rates are at the busiest minute: working-hours traffic at ' +
      `${num(inputs.assumptions.peakFactor)} × its monthly average, alarms, integrations, renewals and the cron job flat.`,
    '',
    table(['tenants', 'D1 size (of 10 GB)', 'D1 peak queries/s (of 1,000)', 'D1 peak rows written/s', 'queue peak messages/s', 'cron: rows read per run', 'reconciliation sweep (hours per round)'], growthRows),
    '',
    table(['limit', 'value', 'reached at (tenants)', 'arithmetic', 'kind'], cliffRows),
    '',
    `**The first cliff is ${first.name}, at about ${num(first.tenants ?? 0)} tenants.** What to do before then: ` +
      '[decision 0011](../decisions/0011-scaling-cliff.md).',
  ].join('\n');
}

function assumptionsSection(inputs: ModelInputs): string {
  const a = inputs.assumptions;
  return [
    '## 8. Assumptions, in one place',
    '',
    `- A month is ${CALENDAR.daysPerMonth} days, ${num(CALENDAR.workingDaysPerMonth)} of them working days; GB = 10⁹ bytes.`,
    `- Tenant age for storage: ${a.tenantAgeMonths} months; lifetime over which sign-up and checkout are spread: ${a.customerLifetimeMonths} months.`,
    `- Retention ([src/platform/retention/policy.ts](../../src/platform/retention/policy.ts)): a pruned table holds only the rows of its window, counted from creation ` +
      `(${Object.entries(PRUNED)
        .map(([table, rule]) => `\`${table}\` ${rule.days} days`)
        .join(', ')}); once a tenant is older than a window, each row the job deletes is billed the rows written of its insert. Every other table keeps its rows.`,
    `- Peak factor ${num(a.peakFactor)}: working-day traffic falls in about 10 busy hours of 5 days (3.4 × the flat average), and the busiest minutes run at twice the busy hour's mean.`,
    `- D1 in production: about ${a.productionMsPerD1Query} ms per query on average, so about ${num(1000 / a.productionMsPerD1Query)} queries/s per database (Cloudflare's own example figure); ` +
      'the local benchmark above measures the binding and SQLite, not production.',
    "- Metering itself: every unit of work done for a tenant adds to the tenant's usage meter after the response, one object request and SQLite row written each (measured with the rest).",
    `- Durable Objects: billed for ${a.doMemoryGb} GB while busy; each request is charged the busy time measured locally plus ${a.productionMsPerDoRequest} ms ` +
      '(production awaits D1 and the network; locally neither exists). Each alarm re-arms itself with one `setAlarm()`, billed as one SQLite row written.',
    '- Queues: a message is written, read and deleted once (3 operations), plus a read per retry; every message is under 64 KB.',
    '- Analytics Engine: the metering writes one data point per unit of work (request, queue message, cron run, object call; an alarm is none); ' +
      `operators run ${num(a.analyticsReadQueriesPerMonth)} read queries a month. Modelled at the published price though the page says billing is not on yet.`,
    '- Workers requests include cron and queue-consumer invocations (a handful a month per tenant).',
    '- Stripe: US domestic cards, one charge a month per paying tenant; enterprise pays by card too (an invoice paid by bank transfer would cost less). ' +
      'Stripe API calls are not billed.',
    '- CPU: the whole local workerd process (the Worker, local D1, the object, Miniflare), so an upper bound.',
    `- Fleet mix: ${Object.entries(a.fleetMix)
      .map(([id, s]) => `${percent(s, 1)} ${id}`)
      .join(', ')}; the paying tenants are the Stripe customers the cron job reconciles.`,
  ].join('\n');
}

export function costModelMarkdown(inputs: ModelInputs): string {
  const economics = inputs.profiles.map((p) => tenantEconomics(p, inputs));
  const paid = economics.filter((e) => e.grossMargin !== null);
  const free = economics.find((e) => e.profile.plan === 'free');
  const first = firstCliff(scalingCliffs(inputs));
  const topMover = sensitivity(inputs).rows[0];
  const stop = allowancesStopMattering(inputs);
  const m = inputs.measurements;
  const banner = m.provisional
    ? [
        `> **Provisional measurements.** ${m.methodNote}`,
        '',
      ]
    : [];
  return [
    '# Unit economics: cost per tenant, margin per plan, the first scaling cliff',
    '',
    '<!-- Generated by `npm run cost` (scripts/cost/) from measurements.json and prices.json. Do not edit: change the inputs and rerun. -->',
    '',
    `Written by \`npm run cost\` from [measurements.json](measurements.json) (measured on ${m.measuredOn}) and [prices.json](prices.json) ` +
      `(read on ${inputs.prices.readOn}), with the assumptions in [scripts/cost/profiles.ts](../../scripts/cost/profiles.ts). ` +
      '`npm run cost -- --model-only` rewrites this page from those files alone.',
    '',
    ...banner,
    '## Summary',
    '',
    table(
      ['plan', 'revenue a month', 'Stripe fees', 'Cloudflare', 'gross margin'],
      paid.map((e) => [e.profile.label, money(e.revenue), money(e.stripe.total), money(e.cloudflareTotal), percent(e.grossMargin ?? 0)]),
    ),
    '',
    free ? `- The free plan costs **${money(1000 * free.cloudflareTotal)} a month per thousand free tenants** (${money(free.cloudflareTotal)} each).` : '',
    `- Stripe takes ${paid.map((e) => percent(e.stripe.total / e.revenue)).join(' / ')} of revenue; Cloudflare ${paid.map((e) => percent(e.cloudflareTotal / e.revenue, 2)).join(' / ')}.`,
    `- Included allowances: below ${tenantsLabel(stop)} they cover most of the usage, and the account costs about the $5 base fee; past that, per-tenant cost is the marginal cost.`,
    topMover ? `- What moves margin most: ${topMover.name.toLowerCase()} (${Object.entries(topMover.marginPoints).map(([id, p]) => `${id} ${points(p)}`).join(', ')}).` : '',
    `- **First scaling cliff: ${first.name}, at about ${num(first.tenants ?? 0)} tenants** (${first.arithmetic}).`,
    '',
    `![Pro tenant: revenue and cost per month, by seats](${CHART_FILE})`,
    '',
    pricesSection(inputs),
    '',
    measuredSection(inputs),
    '',
    profilesSection(inputs, economics),
    '',
    costSection(inputs, economics),
    '',
    fleetSection(inputs),
    '',
    sensitivitySection(inputs),
    '',
    cliffSection(inputs),
    '',
    assumptionsSection(inputs),
    '',
  ].join('\n');
}
