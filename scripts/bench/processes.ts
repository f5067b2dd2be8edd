/**
 * Processes for `npm run bench`: the benchmark runs in a process group of its
 * own, stops what it started on every way out, and reads the CPU time of the
 * workerd process that serves the Workers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { constants as osConstants } from 'node:os';

const GROUP_MARK = 'SAAS_SLICE_BENCH_GROUP_LEADER';

/**
 * Re-runs this script as the leader of a new process group and waits for it.
 * Everything the benchmark starts (workerd, the Stripe emulator) is in that
 * group, so when the benchmark ends, however it ends, one `kill -- -PGID`
 * reaches whatever is left. SIGINT, SIGTERM and SIGHUP are passed on to the
 * leader, which stops its children itself.
 *
 * Returns false in the group leader, which then runs the benchmark; the
 * outer process never returns (it exits with the benchmark's exit code).
 */
export async function runInOwnProcessGroup(script: string): Promise<false> {
  if (process.env[GROUP_MARK] === '1') return false;
  const child = spawn(process.execPath, [script, ...process.argv.slice(2)], {
    detached: true,
    stdio: 'inherit',
    env: { ...process.env, [GROUP_MARK]: '1' },
  });
  const pgid = child.pid;
  if (pgid === undefined) throw new Error('could not start the benchmark process');
  // To the leader only: it stops its children itself, in order; the sweep below catches what it could not.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, forward);
  const code = await new Promise<number>((resolve) => {
    child.on('exit', (status, signal) => resolve(status ?? 128 + (signal ? osConstants.signals[signal] : 1)));
  });
  // The leader cleans up after itself; this catches what a crash left behind.
  signalGroup(pgid, 'SIGKILL');
  process.exit(code);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already empty.
  }
}

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];
let cleaning: Promise<void> | undefined;

/**
 * Registers work to undo on exit, run in reverse order of registration.
 * Returns a function that runs it now instead, for what ends before the run does.
 */
export function onCleanup(cleanup: Cleanup): () => Promise<void> {
  cleanups.push(cleanup);
  return async () => {
    const index = cleanups.indexOf(cleanup);
    if (index === -1) return;
    cleanups.splice(index, 1);
    await cleanup();
  };
}

/** Runs every cleanup once, each bounded so that one hanging never keeps the rest from running. Every caller waits for the same run. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop() as Cleanup;
      await Promise.race([Promise.resolve().then(cleanup), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]).catch((err: unknown) =>
        console.error(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
  })();
  return cleaning;
}

/**
 * Runs `main`, then cleans up and exits: 0, 1 if it failed, or 128 + the
 * signal's number if SIGINT, SIGTERM or SIGHUP stopped it. A signal cleans up
 * at once, whatever `main` is doing; `main` failing because of that (workerd
 * gone under it) is not reported as a failure.
 */
export async function runToExit(main: () => Promise<void>): Promise<never> {
  let signalled: NodeJS.Signals | undefined;
  const exitCode = () => (signalled ? 128 + osConstants.signals[signalled] : (process.exitCode as number | undefined) ?? 0);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (signalled) return;
      signalled = signal;
      console.error(`\n${signal}: stopping the benchmark`);
      void cleanUp().finally(() => process.exit(exitCode()));
    });
  }
  try {
    await main();
  } catch (err) {
    if (!signalled) {
      console.error(`\nbench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 1;
    }
  }
  await cleanUp();
  // Miniflare's proxy may keep a handle open after dispose; everything is stopped, so leave.
  process.exit(exitCode());
}

export interface StartedProcess {
  child: ChildProcess;
  /** stdout and stderr so far, for error messages. */
  output: () => string;
}

/**
 * Starts a child in this process group and stops it (SIGTERM, then SIGKILL)
 * at clean-up. Resolves once a line of its output matches `ready`.
 */
export async function startProcess(label: string, command: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 30_000): Promise<StartedProcess & { match: RegExpExecArray }> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(killer);
  });
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start within ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = ready.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${signal ?? code}) before it was ready:\n${output}`));
    });
  });
  return { child, output: () => output, match };
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Checks that each port answers, naming the one that does not. */
export async function assertListening(ports: Record<string, number>): Promise<void> {
  for (const [label, port] of Object.entries(ports)) {
    if (!(await isListening(port))) throw new Error(`${label} is not listening on 127.0.0.1:${port}`);
  }
}

/** The workerd processes this process started (Miniflare spawns workerd as a direct child). */
export function workerdChildren(parent = process.pid): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      const stat = readStat(pid);
      return stat !== null && stat.command === 'workerd' && stat.ppid === parent;
    });
}

/** The command name and parent of a process, or null once it is gone. */
function readStat(pid: number): { command: string; ppid: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command is in parentheses and may itself contain spaces or parentheses; the state and the ppid follow it.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  return { command: text.slice(open + 1, close), ppid: Number(text.slice(close + 2).split(' ')[1]) };
}

/**
 * CPU time the given processes have used so far, in milliseconds: the sum of
 * their threads' run time from schedstat, in nanoseconds, so that even a
 * window of a few hundred milliseconds gets a figure (`stat` counts 10 ms ticks).
 */
export function cpuMs(pids: readonly number[]): number {
  let ns = 0;
  for (const pid of pids) {
    let threads: string[];
    try {
      threads = readdirSync(`/proc/${pid}/task`);
    } catch {
      throw new Error(`process ${pid} is gone: it stopped during the benchmark`);
    }
    for (const tid of threads) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  }
  return ns / 1e6;
}

const CLOCK_TICKS_PER_SECOND = (() => {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(result.stdout?.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
})();

/** CPU time all processes on the host have used so far (every core, user + system + interrupts), in milliseconds. */
export function hostBusyMs(): number {
  const [, ...fields] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal …: everything but idle and iowait is busy.
  const ticks = fields.slice(0, 8).map(Number);
  const busy = ticks.reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
  return (busy * 1000) / CLOCK_TICKS_PER_SECOND;
}
