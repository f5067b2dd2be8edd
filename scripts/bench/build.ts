/**
 * The Workers `npm run bench` serves, built as they would be deployed:
 * `wrangler deploy --dry-run --outdir` writes the bundle wrangler would upload.
 * The app is built from wrangler.toml; the comparators from a config written
 * here with the app's compatibility settings.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface Bundle {
  path: string;
  bytes: number;
  gzipBytes: number;
}

export interface Compatibility {
  compatibilityDate: string;
  compatibilityFlags: string[];
}

function wranglerBuild(args: string[], label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // wrangler's own entry with this Node: what `npx wrangler` runs, without npx's start-up.
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_UPDATE_NOTIFIER: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building ${label} failed (wrangler exited ${code}):\n${stderr}`))));
  });
}

/** wrangler names the bundle after the entry module. */
function bundleAt(dir: string, file: string): Bundle {
  const path = join(dir, file);
  const source = readFileSync(path);
  return { path, bytes: source.length, gzipBytes: gzipSync(source).length };
}

/** Builds the app (from wrangler.toml, top-level environment) and the comparator Worker into `outDir`. */
export async function buildBundles(outDir: string, compatibility: Compatibility): Promise<{ app: Bundle; comparator: Bundle }> {
  const comparatorConfig = join(outDir, 'comparator.wrangler.json');
  writeFileSync(
    comparatorConfig,
    JSON.stringify({
      name: 'bench-comparator',
      main: join(ROOT, 'scripts/bench/comparator-worker.ts'),
      compatibility_date: compatibility.compatibilityDate,
      compatibility_flags: compatibility.compatibilityFlags,
    }),
  );
  await Promise.all([
    wranglerBuild(['--outdir', join(outDir, 'app'), '--env', ''], 'the app'),
    wranglerBuild(['--outdir', join(outDir, 'comparator'), '--config', comparatorConfig], 'the comparator Worker'),
  ]);
  return { app: bundleAt(join(outDir, 'app'), 'index.js'), comparator: bundleAt(join(outDir, 'comparator'), 'comparator-worker.js') };
}
