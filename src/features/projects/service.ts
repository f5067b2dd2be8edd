import { afterKey, type PageBounds } from '../../platform/pagination';
import { desc, eq, sql } from 'drizzle-orm';
import { auditEntry, auditEntryIf } from '../../platform/audit';
import { projects, subscriptions, type Project } from '../../platform/db/schema';
import { notFound } from '../../platform/errors';
import { newId } from '../../platform/ids';
import type { Context } from 'hono';
import { tenantReadWithResolution } from '../../platform/auth/with-resolution';
import type { TenantContext } from '../../platform/context';
import type { TenantEnv } from '../../platform/env';
import type { TenantReads } from '../../platform/tenancy/tenant-db';
import { entitlementOf } from '../billing/entitlement';
import type { Entitlement } from '../billing/plans';
import { planLimitError } from '../billing/plans';
import type { CreateProjectBody, UpdateProjectBody } from './inputs';

export type ProjectView = Pick<Project, 'id' | 'name' | 'createdAt' | 'updatedAt'>;

function toView(project: Project): ProjectView {
  return { id: project.id, name: project.name, createdAt: project.createdAt, updatedAt: project.updatedAt };
}

/** Loads a project of this tenant, or 404: another tenant's id looks exactly like a missing one. */
async function getProjectInTenant(ctx: TenantContext, id: string): Promise<Project> {
  const project = await ctx.db.first(projects, eq(projects.id, id));
  if (!project) throw notFound('Project');
  return project;
}

export async function getProject(ctx: TenantContext, id: string): Promise<ProjectView> {
  return toView(await getProjectInTenant(ctx, id));
}

/** Newest first; with `page`, the rows of that page and one more (platform/pagination.ts). */
function projectRows(db: TenantReads, page?: PageBounds) {
  const query = db.select(projects, afterKey(page, projects.createdAt, projects.id, 'desc')).orderBy(desc(projects.createdAt), desc(projects.id));
  return page ? query.limit(page.rows) : query;
}

export async function listProjects(ctx: TenantContext): Promise<ProjectView[]> {
  return (await projectRows(ctx.db)).map(toView);
}

/** GET /api/t/:tenant/projects's read (the requested page), batched with who and where (one round trip). */
export const projectListRead = tenantReadWithResolution(projectRows, { paged: true });

export async function listProjectsOfRequest(c: Context<TenantEnv>): Promise<ProjectView[]> {
  return (await projectListRead.result(c)).map(toView);
}

function projectCount(ctx: TenantContext) {
  return sql`(SELECT count(*) FROM ${projects} WHERE ${projects.tenantId} = ${ctx.tenant.id})`;
}

/**
 * Creates a project within the plan's project limit (`entitlement`: the
 * caller read the plan, with who and where for the API). The count and the
 * insert are one statement (`INSERT … SELECT … WHERE count < limit`), atomic
 * in D1, so concurrent creations can never pass the limit together.
 */
export async function createProject(ctx: TenantContext, input: CreateProjectBody, { limits }: Entitlement): Promise<ProjectView> {
  const id = newId('prj');
  const now = Date.now();
  const row = { id, name: input.name, createdAt: now, updatedAt: now };
  const withinLimit = limits.projects === null ? sql`1` : sql`${projectCount(ctx)} < ${limits.projects}`;
  const created = sql`EXISTS (SELECT 1 FROM ${projects} WHERE ${projects.id} = ${id})`;
  const [inserted] = await ctx.db.batch([
    ctx.db.insertWhere(projects, row, withinLimit),
    auditEntryIf(ctx, created, 'project.created', { type: 'project', id }, { name: input.name }),
  ]);
  if (inserted.meta.changes === 0) throw planLimitError('projects', limits.projects);
  return row;
}

export async function updateProject(ctx: TenantContext, id: string, input: UpdateProjectBody): Promise<ProjectView> {
  // The project, the plan and the count in one round trip.
  const [[before], [subscription], [counted]] = await ctx.db.batch([
    ctx.db.select(projects, eq(projects.id, id)).limit(1),
    ctx.db.select(subscriptions).limit(1),
    ctx.db.counting(projects),
  ]);
  if (!before) throw notFound('Project');
  // Over the limit after a downgrade, projects stay readable (and deletable) but not writable.
  const { limits } = entitlementOf(subscription);
  if (limits.projects !== null && (counted?.n ?? 0) > limits.projects) throw planLimitError('projects', limits.projects, 'over');
  const updatedAt = Date.now();
  await ctx.db.batch([
    ctx.db.update(projects, { name: input.name, updatedAt }, eq(projects.id, id)),
    auditEntry(ctx, 'project.renamed', { type: 'project', id }, { from: before.name, to: input.name }),
  ]);
  return toView({ ...before, name: input.name, updatedAt });
}

export async function deleteProject(ctx: TenantContext, id: string): Promise<void> {
  const project = await getProjectInTenant(ctx, id);
  await ctx.db.batch([
    ctx.db.delete(projects, eq(projects.id, id)),
    auditEntry(ctx, 'project.deleted', { type: 'project', id }, { name: project.name }),
  ]);
}
