/**
 * The compiled gateway as a child process (`courier-gw start --config ...`),
 * as an operator runs it: time from spawn to /healthz 200, and its resident memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { compiledCliPath as cli } from '../core/package.js';
import { BENCH_API_TOKEN } from './gateway-config.js';

export interface GatewayProcess {
  pid: number;
  /** ms from spawn to the first /healthz 200 */
  startToHealthyMs: number;
  health(): Promise<Record<string, unknown>>;
  rssMB(): Promise<number>;
  stop(): Promise<void>;
}

/** VmRSS of a process, MB */
export async function rssMBOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** extra node flags for the gateway, e.g. BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile a run */
const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');

export async function startGatewayProcess(configFile: string, httpPort: number, timeoutMs = 30_000): Promise<GatewayProcess> {
  const stderr: string[] = [];
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, cli, 'start', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 50) stderr.push(d.toString());
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const healthUrl = `http://127.0.0.1:${httpPort}/healthz`;
  let healthyAt: number | undefined;
  while (healthyAt === undefined) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}: ${stderr.join('').slice(0, 500)}`);
    if (performance.now() - t0 > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`gateway not healthy within ${timeoutMs / 1000} s: ${stderr.join('').slice(0, 500)}`);
    }
    try {
      const res = await fetch(healthUrl, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) healthyAt = performance.now();
    } catch {
      // not listening yet
    }
    if (healthyAt === undefined) await new Promise((r) => setTimeout(r, 5));
  }
  return {
    pid: child.pid as number,
    startToHealthyMs: healthyAt - t0,
    async health() {
      const res = await fetch(healthUrl, { headers: { authorization: `Bearer ${BENCH_API_TOKEN}` }, signal: AbortSignal.timeout(5000) });
      return (await res.json()) as Record<string, unknown>;
    },
    rssMB: () => rssMBOf(child.pid as number),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
