import type { Context } from 'hono';
import type { z } from 'zod';
import { tenantPageApp } from '../http/apps';
import { requirePermission } from '../tenancy/guard';
import type { Permission } from '../tenancy/policy';
import type { Flash } from './flash';
import { EMPTY_FORM, formAction, type FormAction, type FormState, type PageStatus } from './form';
import type { TenantPageEnv } from './page-env';

export interface PageWithForm<S extends z.ZodObject> {
  /** Who may see the page, and who may post its form. */
  view: Permission;
  post: Permission;
  /** Where the form posts, under the page's own path ('/' when omitted). */
  postPath?: string;
  schema: S;
  page: (c: Context<TenantPageEnv>, state: FormState, status?: PageStatus, flash?: Flash) => Promise<Response>;
  submit: (c: Context<TenantPageEnv>, data: z.output<S>) => Promise<Response>;
  refusalField?: FormAction<TenantPageEnv, z.output<S>>['refusalField'];
}

/**
 * An organisation's page with one main form (new project, invite someone,
 * rename): GET shows the page with the form empty; the post goes through
 * `formAction`, with the page as what renders a refusal. Further routes
 * chain onto the app this returns.
 */
export function pageWithForm<S extends z.ZodObject>(p: PageWithForm<S>) {
  return tenantPageApp()
    .get('/', requirePermission(p.view), (c) => p.page(c, EMPTY_FORM))
    .post(p.postPath ?? '/', requirePermission(p.post), (c) =>
      formAction(c, p.schema, { render: p.page, submit: (data) => p.submit(c, data), refusalField: p.refusalField }),
    );
}
