/**
 * Usage against the plan's limit, as the Projects and Members pages show it:
 * "3 of 3 projects", and at the limit, the way up (the billing page for
 * those who may open it, else whom to ask).
 */
import type { FC } from 'hono/jsx';
import type { TenantContext } from '../../platform/context';
import { can } from '../../platform/tenancy/policy';
import { tenantPath } from '../../platform/ui/paths';
import { billingPermissions } from './permissions';

export interface Usage {
  used: number;
  limit: number | null;
}

export const atLimit = (usage: Usage) => usage.limit !== null && usage.used >= usage.limit;

export const UsageNote: FC<{ ctx: TenantContext; usage: Usage; noun: [string, string]; id: string }> = ({ ctx, usage, noun, id }) => {
  const plural = usage.used === 1 ? noun[0] : noun[1];
  const text = usage.limit === null ? `${usage.used} ${plural} (no limit on your plan)` : `${usage.used} of ${usage.limit} ${noun[1]} used`;
  return (
    <div class="usage" id={id}>
      <p class="usage-count" data-testid={`${id}-count`}>
        {text}
      </p>
      {usage.limit !== null && <meter min={0} max={usage.limit} value={Math.min(usage.used, usage.limit)} high={usage.limit} aria-label={text} />}
      {atLimit(usage) &&
        (can(ctx.role, billingPermissions.read) ? (
          <p>
            You have reached your plan's limit. <a href={tenantPath(ctx.tenant, 'billing')}>Upgrade or buy more on the billing page</a>.
          </p>
        ) : (
          <p>You have reached your plan's limit. Ask an owner of this organisation to upgrade it.</p>
        ))}
    </div>
  );
};
