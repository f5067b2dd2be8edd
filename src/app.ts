/**
 * The composition root: every feature, in the order their tabs appear.
 * Adding a feature is its folder under src/features/ and one line here
 * (docs/ARCHITECTURE.md shows how).
 */
import { account } from './features/account';
import { apiKeys } from './features/api-keys';
import { auditLog } from './features/audit-log';
import { auth } from './features/auth';
import { describeMe } from './features/auth/service';
import { billing } from './features/billing';
import { dashboard } from './features/dashboard';
import { devMailbox } from './features/dev-mailbox';
import { health } from './features/health';
import { invitations } from './features/invitations';
import { members } from './features/members';
import { ops } from './features/ops';
import { projects } from './features/projects';
import { tenants } from './features/tenants';
import { usage } from './features/usage';
import { composeApp } from './platform/compose';
import type { Feature } from './platform/feature';
import type { LogSink } from './platform/log/logger';

export const FEATURES: readonly Feature[] = [health, auth, account, dashboard, projects, members, invitations, billing, auditLog, apiKeys, tenants, usage, ops, devMailbox];

export interface AppOptions {
  /** Where log lines go; the console unless a test collects them. */
  logSink?: LogSink;
}

/** The whole HTTP surface (src/platform/compose.ts puts the features together). */
export function createApp(options: AppOptions = {}) {
  return composeApp(FEATURES, { loadViewer: describeMe, logSink: options.logSink });
}
