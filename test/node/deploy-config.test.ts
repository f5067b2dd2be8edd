/**
 * wrangler.toml's deployed environments, read the way `wrangler deploy --env`
 * reads them. Bindings are not inherited by environments, so a binding added
 * at the top level (local dev and tests) and forgotten in [env.staging] /
 * [env.production] would only fail once deployed; this test fails first.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { unstable_readConfig } from 'wrangler';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CONFIG = path.join(ROOT, 'wrangler.toml');
const ENVS = ['staging', 'production'] as const;
const SECRETS = ['JWT_SECRET', 'JWT_PREVIOUS_SECRET', 'MFA_SEALING_KEY', 'MFA_SEALING_PREVIOUS_KEY', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'OPS_TOKEN'];
const APP_URL = { staging: 'https://staging.saas-slice.example', production: 'https://app.saas-slice.example' };

/** The Worker's source, all of it: where a var must be read. */
function sourceText(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((entry) => (entry.isDirectory() ? sourceText(path.join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? readFileSync(path.join(dir, entry.name), 'utf8') : ''))
    .join('\n');
}
const SOURCE = sourceText(path.join(ROOT, 'src'));

type Config = ReturnType<typeof unstable_readConfig>;
const read = (env?: string): Config => unstable_readConfig({ config: CONFIG, env });

/** Every binding name a config declares, by kind. */
function bindings(config: Config): string[] {
  const named = (kind: string, list: unknown, key: string) =>
    Array.isArray(list) ? list.map((b: Record<string, unknown>) => `${kind}:${String(b[key])}`) : [];
  return [
    ...named('d1', config.d1_databases, 'binding'),
    ...named('durable_object', config.durable_objects?.bindings, 'name'),
    ...named('queue_producer', config.queues?.producers, 'binding'),
    ...named('kv', config.kv_namespaces, 'binding'),
    ...named('r2', config.r2_buckets, 'binding'),
    ...named('service', config.services, 'binding'),
    ...named('send_email', config.send_email, 'name'),
    ...named('analytics_engine', config.analytics_engine_datasets, 'binding'),
    ...named('workflow', config.workflows, 'binding'),
    ...(config.ai ? [`ai:${config.ai.binding}`] : []),
    ...(config.browser ? [`browser:${config.browser.binding}`] : []),
  ].sort();
}

const topLevel = read();

describe.each(ENVS)('[env.%s]', (env) => {
  const config = read(env);

  test('deploys as its own Worker with its own D1 database', () => {
    expect(config.name).toBe(`saas-slice-${env}`);
    expect(config.d1_databases).toEqual([
      { binding: 'DB', database_name: `saas-slice-${env}`, database_id: expect.stringMatching(/^[0-9a-f-]{36}$/), migrations_dir: 'migrations' },
    ]);
  });

  test('has every binding the top level has (environments do not inherit them)', () => {
    const missing = bindings(topLevel).filter((b) => !bindings(config).includes(b));
    expect(missing, `add these to [env.${env}] in wrangler.toml: ${missing.join(', ')}`).toEqual([]);
  });

  test('binds the tenant, usage-meter and caller-limiter Durable Objects, and inherits their migrations', () => {
    expect(config.durable_objects.bindings).toEqual([
      { name: 'TENANT_DO', class_name: 'TenantDO' },
      { name: 'USAGE_METER', class_name: 'UsageMeter' },
      { name: 'CALLER_LIMITER', class_name: 'CallerLimiter' },
    ]);
    expect(config.migrations).toEqual(topLevel.migrations);
  });

  test('produces to and consumes stripe-events, with retries and a dead-letter queue that is consumed too', () => {
    const queue = `stripe-events-${env}`;
    const dlq = `stripe-events-dlq-${env}`;
    expect(config.queues.producers).toEqual([{ binding: 'STRIPE_EVENTS', queue }]);
    expect(config.queues.consumers).toEqual([
      { queue, max_batch_size: 10, max_batch_timeout: 5, max_retries: 5, dead_letter_queue: dlq },
      { queue: dlq },
    ]);
    // The consumer tells the two apart by the batch's queue name.
    expect(config.vars).toMatchObject({ STRIPE_EVENTS_DLQ: dlq });
  });

  test('runs the reconciliation sweeper every five minutes, with observability on', () => {
    expect(config.triggers.crons).toEqual(['*/5 * * * *']);
    if (topLevel.triggers.crons?.length) expect(config.triggers.crons).toEqual(topLevel.triggers.crons);
    expect(config.observability).toMatchObject({ enabled: true, logs: { enabled: true }, traces: { enabled: true } });
  });

  test('meters usage into Analytics Engine and verifies Cloudflare Access for /ops', () => {
    expect(config.analytics_engine_datasets).toEqual([{ binding: 'USAGE', dataset: `saas_slice_usage_${env}` }]);
    expect(config.vars).toMatchObject({ ACCESS_TEAM_DOMAIN: expect.stringMatching(/^https:\/\//), ACCESS_AUD: expect.any(String) });
  });

  test('sets only vars the Worker reads', () => {
    expect(SOURCE).toContain('env.APP_URL');
    const unread = Object.keys(config.vars).filter((name) => !new RegExp(`\\.${name}\\b`).test(SOURCE));
    expect(unread, `remove these from [env.${env}.vars], or read them in the code`).toEqual([]);
  });

  test('sets its vars, and no secret among them', () => {
    expect(config.vars).toMatchObject({
      APP_URL: APP_URL[env],
      ENVIRONMENT: env,
      STRIPE_PRICE_PRO: expect.stringMatching(/^price_/),
      STRIPE_PRICE_ENTERPRISE: expect.stringMatching(/^price_/),
    });
    for (const name of Object.keys(config.vars)) {
      expect(SECRETS, `${name} is a secret: \`wrangler secret put ${name} --env ${env}\`, never a var`).not.toContain(name);
      expect(name).not.toMatch(/SECRET|PASSWORD|TOKEN|PRIVATE/);
    }
  });
});

describe('the bindings\' types', () => {
  test('worker-configuration.d.ts is what `npm run types` generates from wrangler.toml and .dev.vars.example', () => {
    const [bin, ...args] = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.types!.split(' ');
    const committed = args.find((arg) => arg.endsWith('.d.ts'))!;
    // Beside the committed file, so the generated imports (`./src/index`) resolve the same way.
    const fresh = `worker-configuration.${process.pid}.check.d.ts`;
    try {
      execFileSync(path.join(ROOT, 'node_modules', '.bin', bin!), args.map((arg) => (arg === committed ? fresh : arg)), { cwd: ROOT, stdio: 'pipe' });
      const generated = readFileSync(path.join(ROOT, fresh), 'utf8').replace(` ${fresh}`, '');
      expect(readFileSync(path.join(ROOT, committed), 'utf8'), 'run `npm run types` and commit worker-configuration.d.ts').toBe(generated);
    } finally {
      rmSync(path.join(ROOT, fresh), { force: true });
    }
    // `wrangler types` starts wrangler and bundles nothing, but takes seconds on a busy 2-core machine.
  }, 60_000);

  test('declare every binding and var the top level configures', () => {
    const types = readFileSync(path.join(ROOT, 'worker-configuration.d.ts'), 'utf8');
    for (const name of ['DB', 'TENANT_DO', 'USAGE_METER', 'STRIPE_EVENTS', 'SIGNIN_LIMITER', ...Object.keys(topLevel.vars)]) expect(types).toMatch(new RegExp(`^\\t${name}\\??: `, 'm'));
  });
});

describe('the secrets', () => {
  const deployDoc = readFileSync(path.join(ROOT, 'docs/operations/deploy.md'), 'utf8');
  const devVars = readFileSync(path.join(ROOT, '.dev.vars.example'), 'utf8');
  const wranglerToml = readFileSync(CONFIG, 'utf8');
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  test.each(SECRETS)('%s is set per environment in the deploy doc and has a local value in .dev.vars.example', (name) => {
    for (const env of ENVS) expect(deployDoc).toContain(`wrangler secret put ${name} --env ${env}`);
    expect(devVars).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });

  test.each(SECRETS)('%s is in the secrets list of wrangler.toml and in the README', (name) => {
    expect(wranglerToml).toMatch(new RegExp(`^#\\s+npx wrangler secret put ${name} --env <env>`, 'm'));
    expect(readme).toContain(`| \`${name}\` | secret |`);
  });

  test('.dev.vars.example holds only development values', () => {
    const values = Object.fromEntries(
      devVars
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
    expect(values.JWT_SECRET!.length).toBeGreaterThanOrEqual(32);
    expect(values.MFA_SEALING_KEY!.length).toBeGreaterThanOrEqual(32);
    expect(values.STRIPE_SECRET_KEY).toMatch(/^sk_test_/);
    expect(values.STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_/);
  });

  test('.dev.vars itself is never committed', () => {
    expect(readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.dev.vars');
  });
});
