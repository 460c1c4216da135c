/**
 * What the reliability tests share: the long/short switch, S10 waybills, the compiled
 * gateway as a child process that can be SIGKILLed, and memory sampling.
 */
import { rng } from '../../simulators/scenario.js';
import { s10CheckDigit } from '../../devices/scanner/waybill.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { cliPath, freePort, repoRoot } from '../helpers/process.js';

/** RELIABILITY=short runs the CI form: fewer crashes, records and fuzz runs. */
export const SHORT = process.env.RELIABILITY === 'short';

export function sized<T>(long: T, short: T): T {
  return SHORT ? short : long;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A deterministic pseudo-random source, so a failing run can be repeated with its seed. */
export const seeded = rng;

/** A valid UPU S10 identifier (PROTOCOLS.md §7) for a serial of up to 8 digits. */
export function s10(prefix: string, serial: number, country = 'GB'): string {
  const digits = String(serial).padStart(8, '0');
  return `${prefix}${digits}${s10CheckDigit(digits)}${country}`;
}

/** The compiled gateway (`courier-gw start --config …`) as a child process. */
export class GatewayChild {
  private child: ChildProcess | undefined;
  private readonly log: WriteStream;
  /** everything the gateway wrote to stdout and stderr, when `capture` is on */
  captured = '';
  starts = 0;

  constructor(
    private readonly configFile: string,
    readonly httpUrl: string,
    logFile: string,
    private readonly capture = false,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits until /healthz answers 200; the ms it took. */
  async start(timeoutMs = 20_000): Promise<number> {
    const t0 = Date.now();
    this.spawn();
    await this.waitHealthy(timeoutMs);
    return Date.now() - t0;
  }

  /** Starts the process without waiting for it. */
  spawn(): void {
    const child = spawn(process.execPath, [cliPath, 'start', '--config', this.configFile], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    this.starts += 1;
    const keep = (d: Buffer) => {
      this.log.write(d);
      if (this.capture) this.captured += d.toString('utf8');
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.child = child;
  }

  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child) throw new Error('gateway not started');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`gateway exited with code ${child.exitCode} while starting`);
      try {
        const res = await fetch(`${this.httpUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('gateway did not become healthy in time');
      await sleep(25);
    }
  }

  /** SIGKILL: no shutdown code runs, as in a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((r) => this.log.end(() => r()));
  }
}

export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = await freePort();
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** Samples this process's memory every `everyMs` while running. */
export class MemorySampler {
  readonly samples: { at: number; rss: number; heapUsed: number; phase: string }[] = [];
  phase = 'start';
  private timer: NodeJS.Timeout | undefined;

  start(everyMs = 100): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): void {
    const m = process.memoryUsage();
    this.samples.push({ at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, phase: this.phase });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }

  max(key: 'rss' | 'heapUsed', phase?: string): number {
    return Math.max(...this.samples.filter((s) => phase === undefined || s.phase === phase).map((s) => s[key]));
  }
}

export const MB = 1024 * 1024;
export const mb = (bytes: number): number => Math.round((bytes / MB) * 10) / 10;

/** nearest-rank percentile of a list of numbers */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
