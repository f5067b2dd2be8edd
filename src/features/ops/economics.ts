/**
 * Unit economics per tenant for operators: the last 30 days' metered cost
 * (usage × docs/economics/prices.json, rolled up by each tenant's meter)
 * beside the monthly revenue its subscription bills, and the tenants that
 * cost more than they pay. Decision 0019-console-economics.
 */
import type { z } from 'zod';
import type { ServiceContext } from '../../platform/context';
import { fleetEconomics, tenantEconomicsRow, type EconomicsPage, type RevenueRule } from '../../platform/db/cross-tenant';
import { PRICES } from '../../platform/economics/prices';
import { ROLLUP_DAYS, ROLLUP_EVERY_MS } from '../../platform/observe/meter';
import { BILLED_STATUSES, PLAN_PRICES } from '../billing/plan-prices';
import type { economicsResponse, tenantEconomicsOut } from './outputs';

const REVENUE: RevenueRule = {
  proPerSeat: PLAN_PRICES.pro.monthlyMinor / 100,
  enterprise: PLAN_PRICES.enterprise.monthlyMinor / 100,
  billedStatuses: BILLED_STATUSES,
};

export interface EconomicsQuery {
  page: number;
  lossPage: number;
  limit: number;
}

/** Dollars to the millionth of a cent: a small tenant's month costs fractions of a cent, and is not rounded to nothing. */
const usd = (n: number) => Math.round(n * 1e8) / 1e8;

type Row = Awaited<ReturnType<typeof fleetEconomics>>['byCost'][number];

function economicsOf({ rollup, revenueUsd, ...t }: Row): TenantEconomicsRow {
  return {
    tenant: { id: t.id, slug: t.slug, name: t.name },
    plan: t.plan,
    status: t.status,
    seats: t.seats,
    usage: {
      requests: rollup.requests,
      d1RowsRead: rollup.d1RowsRead,
      d1RowsWritten: rollup.d1RowsWritten,
      doCalls: rollup.doCalls,
      queueMessages: rollup.queueMessages,
      emails: rollup.emails,
    },
    costUsd: usd(rollup.costUsd),
    revenueUsd: usd(revenueUsd),
    marginUsd: usd(revenueUsd - rollup.costUsd),
    windowFrom: rollup.windowFrom,
    rolledUpAt: rollup.rolledUpAt,
  };
}

/** The row GET /ops/economics documents (./outputs.ts), and the console shows. */
export type TenantEconomicsRow = z.infer<typeof tenantEconomicsOut>;

function listOf(rows: Row[], { page, limit }: EconomicsPage) {
  return { page, nextPage: rows.length > limit ? page + 1 : null, tenants: rows.slice(0, limit).map(economicsOf) };
}

/** One tenant's 30 days' cost beside its revenue, as of its meter's last rollup (null before the first). */
export async function economicsOfTenant(ctx: ServiceContext, tenantId: string): Promise<TenantEconomicsRow | null> {
  const row = await tenantEconomicsRow(ctx.env, REVENUE, tenantId);
  return row ? economicsOf(row) : null;
}

/** GET /ops/economics and the console's economics page: tenants by cost, and those that cost more than they pay, in one D1 round trip. */
export async function tenantEconomics(ctx: ServiceContext, query: EconomicsQuery): Promise<TenantEconomics> {
  const pages = { byCost: { page: query.page, limit: query.limit }, losses: { page: query.lossPage, limit: query.limit } };
  const { byCost, losses } = await fleetEconomics(ctx.env, REVENUE, pages);
  return {
    windowDays: ROLLUP_DAYS,
    rollupEveryHours: ROLLUP_EVERY_MS / 3_600_000,
    pricesReadOn: PRICES.readOn,
    byCost: listOf(byCost, pages.byCost),
    losses: listOf(losses, pages.losses),
  };
}

export type TenantEconomics = z.infer<typeof economicsResponse>;
