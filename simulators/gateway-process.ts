/**
 * The compiled gateway (`node <gatewayCli> start --config …`) as a child process, as an
 * operator runs it: scenarios, tests and benchmarks start it, wait for /healthz, cut its
 * power with SIGKILL, start it again, and read its memory. It runs compiled whether the
 * caller does or not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { compiledCliPath, packageRoot } from '../core/package.js';
import { readFile } from 'node:fs/promises';

export { packageRoot };

/** The compiled command-line entry every spawner of the gateway runs. */
export const gatewayCli = compiledCliPath;

export interface GatewayProcessOptions {
  configFile: string;
  /** e.g. http://127.0.0.1:8080, where /healthz answers */
  httpUrl: string;
  /** the gateway's stdout and stderr are appended here */
  logFile?: string;
  /** keep everything the gateway writes in `captured` */
  capture?: boolean;
  /** node flags before the CLI, e.g. --cpu-prof */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** an operator API token of the config (http.apiTokens): /healthz tells the details only with it */
  token?: string;
}

/** the last characters of the output kept for error messages */
const TAIL_CHARS = 8000;

/** VmRSS of a process, MB */
export async function rssMBOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** user + system CPU time a process has used, ms (from /proc/<pid>/stat) */
export async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) may hold spaces: count fields after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

export class GatewayProcess {
  private child: ChildProcess | undefined;
  /** closed once the child's output streams ended and the log is flushed */
  private closed: Promise<void> = Promise.resolve();
  private tail = '';
  /** everything the gateway wrote, when `capture` is on */
  captured = '';
  /** processes spawned so far */
  starts = 0;
  /** ms from the last spawn to its first /healthz 200 */
  startToHealthyMs = Number.NaN;

  constructor(private readonly o: GatewayProcessOptions) {}

  get httpUrl(): string {
    return this.o.httpUrl;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** running: spawned and not exited */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** how the last process ended: its exit code, or the signal that ended it; undefined while it runs */
  get exitCode(): number | string | undefined {
    if (!this.child || this.running) return undefined;
    return this.child.exitCode ?? this.child.signalCode ?? undefined;
  }

  /** Spawns the gateway and waits until /healthz answers 200; the ms it took. */
  async start(timeoutMs = 20_000): Promise<number> {
    const t0 = performance.now();
    this.spawn();
    await this.waitHealthy(timeoutMs);
    this.startToHealthyMs = performance.now() - t0;
    return this.startToHealthyMs;
  }

  /** Spawns the gateway without waiting for it. */
  spawn(): void {
    const child = spawn(process.execPath, [...(this.o.nodeArgs ?? []), gatewayCli, 'start', '--config', this.o.configFile], {
      cwd: packageRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', ...this.o.env },
    });
    this.starts += 1;
    this.tail = '';
    const log: WriteStream | undefined = this.o.logFile ? createWriteStream(this.o.logFile, { flags: 'a' }) : undefined;
    const keep = (d: Buffer): void => {
      log?.write(d);
      const text = d.toString('utf8');
      this.tail = (this.tail + text).slice(-TAIL_CHARS);
      if (this.o.capture) this.captured += text;
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    // 'close', not 'exit': the output has been read to its end by then
    this.closed = new Promise<void>((resolve) => {
      child.once('close', () => (log ? log.end(() => resolve()) : resolve()));
    });
    this.child = child;
  }

  /** Polls /healthz until it answers 200; rejects when the process exits first or after timeoutMs. */
  async waitHealthy(timeoutMs = 20_000, everyMs = 5): Promise<void> {
    const child = this.child;
    if (!child) throw new Error('gateway not started');
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        await this.closed;
        throw new Error(`gateway exited with ${child.exitCode ?? child.signalCode} while starting:\n${this.tail.slice(-2000)}`);
      }
      try {
        const res = await fetch(`${this.o.httpUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`gateway not healthy within ${timeoutMs / 1000} s:\n${this.tail.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  /** GET /healthz: its status and JSON body */
  async health<T = Record<string, unknown>>(): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = this.o.token ? { authorization: `Bearer ${this.o.token}` } : {};
    const res = await fetch(`${this.o.httpUrl}/healthz`, { headers, signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** the resident memory of the running process, MB */
  rssMB(): Promise<number> {
    return rssMBOf(this.requirePid());
  }

  /** the CPU time the running process has used so far, ms */
  cpuMs(): Promise<number> {
    return cpuMsOf(this.requirePid());
  }

  private requirePid(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error('gateway not started');
    return pid;
  }

  /** A power cut: SIGKILL (no shutdown code runs, as in a crash), and wait for the process to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child && this.running) child.kill('SIGKILL');
    await this.closed;
  }

  /** A power cut, then start again. */
  async powerCut(timeoutMs?: number): Promise<number> {
    await this.kill();
    return this.start(timeoutMs);
  }

  /** SIGTERM (SIGKILL after `graceMs`) and wait; the exit code, null when killed by a signal */
  async stop(graceMs = 10_000): Promise<number | null> {
    const child = this.child;
    if (!child) return null;
    if (this.running) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.closed;
      clearTimeout(timer);
    }
    await this.closed;
    return child.exitCode;
  }

  /** the last `chars` characters the gateway wrote since it was last spawned */
  logTail(chars = 4000): string {
    return this.tail.slice(-chars);
  }
}
