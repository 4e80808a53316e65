/**
 * Child-process and /proc helpers for the benchmarks: spawning the built service, waiting
 * for it, and measuring memory and CPU. Lifted from bench/ingest.bench.ts (same behaviour)
 * so that other benchmarks need not copy it again.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync, readdirSync, WriteStream } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';

const KILL_GRACE_MS = 10_000;
const RSS_SAMPLE_MS = 200;
/** USER_HZ on Linux: the unit of utime/stime in /proc/<pid>/stat. */
export const TICK = 100;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Keeps the last few KB of a stream for error messages. */
class Tail {
  private text = '';
  push(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-16_384);
  }
  toString(): string {
    return this.text.trim();
  }
}

/** One spawned service process (api or worker), its output tails and its exit. */
export class Service {
  readonly stdout = new Tail();
  readonly stderr = new Tail();
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    log?: WriteStream,
  ) {
    child.stdout?.on('data', (c: Buffer) => {
      this.stdout.push(c);
      log?.write(c);
    });
    child.stderr?.on('data', (c: Buffer) => {
      this.stderr.push(c);
      log?.write(c);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        log?.end();
        resolve();
      }),
    );
  }

  get running(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  get pid(): number {
    return this.child.pid!;
  }

  output(): string {
    return [
      `--- ${this.name} stderr ---`,
      this.stderr.toString() || '(empty)',
      `--- ${this.name} stdout (tail) ---`,
      this.stdout.toString() || '(empty)',
    ].join('\n');
  }

  /** Rejects when the process exits: race it against a phase so a crash ends the wait. */
  died(): Promise<never> {
    const p = this.exited.then(() => {
      throw new Error(`${this.name} exited (code ${this.exitCode}, signal ${this.exitSignal})\n${this.output()}`);
    });
    p.catch(() => undefined);
    return p;
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), KILL_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Spawns `node [nodeArgs] main` with the given env on top of ours; output optionally teed to a file. */
export function spawnService(
  name: string,
  main: string,
  cwd: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
  logFile?: string,
): Service {
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd,
    env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Service(name, child, logFile ? createWriteStream(logFile) : undefined);
}

export function readProcStatus(pid: number): { rssKb: number; hwmKb: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Samples VmRSS every 200 ms; VmHWM (the kernel's own lifetime peak) is read on each sample too. */
export class RssSampler {
  /** Highest VmRSS seen by sampling since start() */
  peakRssKb = 0;
  /** VmHWM at the last sample: the process's peak since it started */
  hwmKb = 0;
  private timer?: NodeJS.Timeout;
  constructor(private readonly pid: number) {}

  start(): void {
    this.peakRssKb = 0;
    this.sample();
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
    this.timer.unref();
  }

  sample(): void {
    const status = readProcStatus(this.pid);
    if (!status) return;
    this.peakRssKb = Math.max(this.peakRssKb, status.rssKb);
    this.hwmKb = Math.max(this.hwmKb, status.hwmKb);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }
}

/** utime + stime of a process in seconds, and its command name; null once it is gone. */
export function processCpu(pid: number | string): { comm: string; seconds: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), seconds: (Number(fields[11]) + Number(fields[12])) / TICK };
  } catch {
    return null;
  }
}

/**
 * CPU seconds so far of the named processes, of every process called `postgres`, and of
 * the machine (busy and idle). Backends that exit between two snapshots (parallel query
 * workers, other users' sessions) drop out of the postgres figures and count as other.
 */
export interface CpuSnapshot {
  processes: Record<string, number>;
  /** CPU seconds of each postgres process by pid (to single out one database's backends) */
  postgresByPid: Map<number, number>;
  busy: number;
  idle: number;
}

export function cpuSnapshot(pids: Record<string, number>): CpuSnapshot {
  const postgresByPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid
    const p = processCpu(entry);
    if (p?.comm !== 'postgres') continue;
    postgresByPid.set(Number(entry), p.seconds);
  }
  const processes: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) processes[name] = processCpu(pid)?.seconds ?? 0;
  const own = process.cpuUsage();
  processes.bench = (own.user + own.system) / 1e6;
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] + cpu[4]) / TICK; // idle + iowait
  const busy = cpu.slice(0, 8).reduce((a, b) => a + b, 0) / TICK - idle;
  return { processes, postgresByPid, busy, idle };
}

/**
 * CPU seconds between two snapshots: each named process, postgres (all of it, and
 * `postgresOurs`: the given backends, e.g. those of the bench database, alive at the end),
 * anything else (other users of the machine), idle.
 */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot, ourBackends: number[] = []): Record<string, number> {
  const out: Record<string, number> = {};
  let named = 0;
  for (const name of Object.keys(after.processes)) {
    out[name] = after.processes[name] - (before.processes[name] ?? 0);
    named += out[name];
  }
  // Per pid: a backend that exited meanwhile would otherwise subtract its whole lifetime.
  const since = (pid: number) => (after.postgresByPid.get(pid) ?? 0) - (before.postgresByPid.get(pid) ?? 0);
  out.postgres = [...after.postgresByPid.keys()].reduce((sum, pid) => sum + since(pid), 0);
  out.postgresOurs = ourBackends.reduce((sum, pid) => sum + since(pid), 0);
  out.other = Math.max(0, after.busy - before.busy - named - out.postgres);
  out.idle = after.idle - before.idle;
  return out;
}
