/**
 * What moves margin most: each perturbation changes one input and the model
 * reruns; the table shows how far each plan's gross margin (and the free
 * plan's cost) moves.
 */
import type { OperationKind, Usage } from './measurements.ts';
import { tenantEconomics, type ModelInputs } from './model.ts';
import type { OperationRates, TenantProfile } from './profiles.ts';

interface Perturbation {
  name: string;
  apply(inputs: ModelInputs): ModelInputs;
}

type NumericField = Exclude<keyof Usage, 'd1RowsAdded' | 'd1ByTable' | 'cpuMs'> | 'cpuMs';

function scaleOperations(inputs: ModelInputs, fields: NumericField[], factor: number): ModelInputs {
  const measurements = structuredClone(inputs.measurements);
  for (const op of Object.values(measurements.operations)) {
    for (const field of fields) {
      const value = op.perOperation[field];
      if (value !== null) op.perOperation[field] = value * factor;
    }
  }
  return { ...inputs, measurements };
}

function scaleRates(rates: OperationRates, factor: number): OperationRates {
  return Object.fromEntries(Object.entries(rates).map(([kind, n]) => [kind, n * factor])) as Partial<Record<OperationKind, number>>;
}

function scaleProfiles(inputs: ModelInputs, key: 'perActiveSeatPerWorkingDay' | 'perTenantPerDay', factor: number): ModelInputs {
  return { ...inputs, profiles: inputs.profiles.map((p): TenantProfile => ({ ...p, [key]: scaleRates(p[key], factor) })) };
}

function withStripe(inputs: ModelInputs, change: (stripe: ModelInputs['prices']['stripe']) => void): ModelInputs {
  const prices = structuredClone(inputs.prices);
  change(prices.stripe);
  return { ...inputs, prices };
}

const PERTURBATIONS: Perturbation[] = [
  { name: 'People use the app twice as much (working-day operations ×2)', apply: (i) => scaleProfiles(i, 'perActiveSeatPerWorkingDay', 2) },
  { name: 'Integrations poll twice as often', apply: (i) => scaleProfiles(i, 'perTenantPerDay', 2) },
  { name: 'D1 rows read per operation ×10 (a missing index)', apply: (i) => scaleOperations(i, ['d1RowsRead'], 10) },
  { name: 'D1 rows written per operation ×2', apply: (i) => scaleOperations(i, ['d1RowsWritten'], 2) },
  { name: 'CPU per operation ×2', apply: (i) => scaleOperations(i, ['cpuMs'], 2) },
  { name: 'Durable Object requests and busy time ×2', apply: (i) => scaleOperations(i, ['doRequests', 'doWallMs'], 2) },
  {
    name: 'Production object latency 50 ms per request (not 10)',
    apply: (i) => ({ ...i, assumptions: { ...i.assumptions, productionMsPerDoRequest: 50 } }),
  },
  { name: 'Tenants twice as old (24 months of stored rows)', apply: (i) => ({ ...i, assumptions: { ...i.assumptions, tenantAgeMonths: 2 * i.assumptions.tenantAgeMonths } }) },
  {
    name: 'International cards (+1.5% card fee)',
    apply: (i) =>
      withStripe(i, (s) => {
        s.cardPercent.value += 1.5;
      }),
  },
  {
    name: "No Stripe Billing fee (Billing's 0.7% removed)",
    apply: (i) =>
      withStripe(i, (s) => {
        s.billingPercent.value = 0;
      }),
  },
  { name: 'Pro seat at half price ($6)', apply: (i) => ({ ...i, planPrices: { ...i.planPrices, proPerSeatMonthly: i.planPrices.proPerSeatMonthly / 2 } }) },
  {
    name: "Enterprise priced per seat at pro's price",
    apply: (i) => {
      const seats = i.profiles.find((p) => p.plan === 'enterprise')?.seats ?? 0;
      return { ...i, planPrices: { ...i.planPrices, enterpriseMonthly: seats * i.planPrices.proPerSeatMonthly } };
    },
  },
];

interface SensitivityRow {
  name: string;
  /** Change of each paying profile's gross margin, in percentage points. */
  marginPoints: Record<string, number>;
  /** Change of a free tenant's monthly cost, relative (0.1 = +10%). */
  freeCostChange: number;
}

interface SensitivityResult {
  baseMargins: Record<string, number>;
  baseFreeCost: number;
  rows: SensitivityRow[];
}

function economics(inputs: ModelInputs): { margins: Record<string, number>; freeCost: number } {
  const margins: Record<string, number> = {};
  let freeCost = 0;
  for (const profile of inputs.profiles) {
    const e = tenantEconomics(profile, inputs);
    if (e.grossMargin === null) freeCost = e.cloudflareTotal;
    else margins[profile.id] = e.grossMargin;
  }
  return { margins, freeCost };
}

/** The perturbations, largest swing in any plan's margin first. */
export function sensitivity(inputs: ModelInputs, perturbations: Perturbation[] = PERTURBATIONS): SensitivityResult {
  const base = economics(inputs);
  const rows = perturbations.map((p): SensitivityRow => {
    const changed = economics(p.apply(inputs));
    const marginPoints = Object.fromEntries(Object.entries(base.margins).map(([id, m]) => [id, 100 * ((changed.margins[id] ?? 0) - m)]));
    return { name: p.name, marginPoints, freeCostChange: base.freeCost > 0 ? changed.freeCost / base.freeCost - 1 : 0 };
  });
  const swing = (r: SensitivityRow) => Math.max(...Object.values(r.marginPoints).map(Math.abs));
  rows.sort((a, b) => swing(b) - swing(a) || Math.abs(b.freeCostChange) - Math.abs(a.freeCostChange) || a.name.localeCompare(b.name));
  return { baseMargins: base.margins, baseFreeCost: base.freeCost, rows };
}
