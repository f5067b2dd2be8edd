import type { Context } from 'hono';
import type { z } from 'zod';
import { tenantPageApp } from '../http/apps';
import { requirePermission } from '../tenancy/guard';
import type { Permission } from '../tenancy/policy';
import { formAction, keptForm, type FormAction, type FormState } from './form';
import type { TenantPageEnv } from './page-env';

export interface PageWithForm<S extends z.ZodObject> {
  /** Who may see the page, and who may post its form. */
  view: Permission;
  post: Permission;
  /** Where the form posts, under the page's own path ('/' when omitted). */
  postPath?: string;
  schema: S;
  page: (c: Context<TenantPageEnv>, state: FormState) => Promise<Response>;
  submit: (c: Context<TenantPageEnv>, data: z.output<S>) => Promise<Response>;
  refusalField?: FormAction<z.output<S>>['refusalField'];
}

/**
 * An organisation's page with one main form (new project, invite someone,
 * rename): GET shows the page with the form empty, or as a failed post left
 * it; the post goes through `formAction`, back to the page on failure.
 * Further routes chain onto the app this returns.
 */
export function pageWithForm<S extends z.ZodObject>(p: PageWithForm<S>) {
  return tenantPageApp()
    .get('/', requirePermission(p.view), async (c) => p.page(c, await keptForm(c)))
    .post(p.postPath ?? '/', requirePermission(p.post), (c) => {
      const page = c.req.path.slice(0, c.req.path.length - (p.postPath ?? '').length) || '/';
      return formAction(c, p.schema, { back: page, submit: (data) => p.submit(c, data), refusalField: p.refusalField });
    });
}
