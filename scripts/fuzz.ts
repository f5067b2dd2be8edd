/**
 * `npm run fuzz`: test/workers/fuzz.test.ts at full size (FUZZ_REQUESTS,
 * default 10,000; FUZZ_SEED to replay a run) against the real Worker, with
 * its report printed and the per-request log lines left out.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(import.meta.dirname, '..');
const requests = process.env.FUZZ_REQUESTS ?? '10000';
const child = spawn('npx', ['vitest', 'run', '--project', 'workers', '--silent=false', 'test/workers/fuzz.test.ts'], {
  cwd: ROOT,
  env: { ...process.env, FUZZ_REQUESTS: requests },
  stdio: ['ignore', 'pipe', 'pipe'],
});
for (const stream of [child.stdout, child.stderr]) {
  createInterface({ input: stream }).on('line', (line) => {
    if (!line.includes('"msg":"request"') && !line.startsWith('Sourcemap for')) console.log(line);
  });
}
child.on('exit', (code) => process.exit(code ?? 1));
