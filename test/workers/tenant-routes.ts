/**
 * The app's own route table, read from the app, so that tests over "every
 * tenant route" cover a route the day it is added, without anyone writing a
 * test for it.
 */
import { createApp } from '../../src/app';
import type { PermissionGuard } from '../../src/platform/tenancy/guard';

export const TENANT_PREFIX = '/api/t/:tenant';

export interface TenantRoute {
  method: string;
  path: string;
  /** The permission its guard declares, or undefined when it has none. */
  permission: PermissionGuard['permission'] | undefined;
}

function isPermissionGuard(handler: unknown): handler is PermissionGuard {
  return typeof handler === 'function' && typeof (handler as Partial<PermissionGuard>).permission?.name === 'string';
}

export function tenantRoutes(): TenantRoute[] {
  const byKey = new Map<string, TenantRoute>();
  for (const r of createApp().routes) {
    if (r.method === 'ALL' || !(r.path === TENANT_PREFIX || r.path.startsWith(`${TENANT_PREFIX}/`))) continue;
    const key = `${r.method} ${r.path}`;
    const route = byKey.get(key) ?? { method: r.method, path: r.path, permission: undefined };
    if (isPermissionGuard(r.handler)) route.permission = r.handler.permission;
    byKey.set(key, route);
  }
  return [...byKey.values()];
}

/** The `:params` of a path after `:tenant`, with the segment before each (`projects/:id`). */
export function idParams(path: string): { param: string; key: string }[] {
  const segments = path.split('/');
  return segments.flatMap((segment, i) =>
    segment.startsWith(':') && segment !== ':tenant' ? [{ param: segment.slice(1), key: `${segments[i - 1]}/${segment}` }] : [],
  );
}

export function fillPath(path: string, tenantSlug: string, ids: Record<string, string>): string {
  return path.replace(':tenant', tenantSlug).replace(/:(\w+)/g, (_, param: string) => {
    const value = ids[param];
    if (value === undefined) throw new Error(`no value for :${param} in ${path}`);
    return value;
  });
}
