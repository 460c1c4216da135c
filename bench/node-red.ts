/**
 * Node-RED 4 (from npm, installed on first use into bench/.cache/node-red, never into the
 * project's node_modules) run headless on loopback with the weigh-and-scan flow of
 * node-red-flow.ts, connected to a broker.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { benchDir } from './harness.js';
import { freePort } from '../core/ports.js';
import { nodeRedFlow, type NodeRedContext } from './node-red-flow.js';
import { startMosquitto } from './mosquitto.js';
import type { KitClients } from './kits-worker.js';
import type { BenchTask } from './tasks-file.js';

const cacheDir = path.join(benchDir, '.cache', 'node-red');
const redJs = path.join(cacheDir, 'node_modules', 'node-red', 'red.js');

/** installs node-red 4 into the bench cache when missing; returns the path of red.js */
export async function ensureNodeRed(log: (line: string) => void): Promise<string> {
  if (existsSync(redJs)) return redJs;
  log('node-red: installing node-red@4 into bench/.cache/node-red (first run only)...');
  await mkdir(cacheDir, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await promisify(execFile)(npm, ['install', '--prefix', cacheDir, 'node-red@4', '--no-audit', '--no-fund'], { timeout: 300_000 });
  if (!existsSync(redJs)) throw new Error('node-red install finished without red.js');
  return redJs;
}

export interface NodeRedProcess {
  recordsFile: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startNodeRed(o: { red: string; mqttPort: number; context: NodeRedContext; timeoutMs?: number }): Promise<NodeRedProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-bench-nodered-'));
  const recordsFile = path.join(dir, 'records.jsonl');
  const contextFile = path.join(dir, 'context.json');
  await writeFile(contextFile, JSON.stringify(o.context));
  await writeFile(path.join(dir, 'flows.json'), JSON.stringify(nodeRedFlow({ mqttPort: o.mqttPort, recordsFile })));
  const settings = path.join(dir, 'settings.cjs');
  await writeFile(
    settings,
    `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${await freePort()},
  httpAdminRoot: false,
  httpNodeRoot: false,
  userDir: ${JSON.stringify(dir)},
  flowFile: 'flows.json',
  credentialSecret: false,
  telemetry: { enabled: false },
  diagnostics: { enabled: false, ui: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
  functionGlobalContext: { bench: require(${JSON.stringify(contextFile)}) },
};
`,
  );
  const child: ChildProcess = spawn(process.execPath, [o.red, '--settings', settings, '--userDir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const output: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node-red not connected to the broker within ${(o.timeoutMs ?? 60_000) / 1000} s: ${output.join('').slice(-600)}`)), o.timeoutMs ?? 60_000);
      const onData = (d: Buffer) => {
        const text = d.toString();
        if (output.length < 200) output.push(text);
        if (/Connected to broker/.test(text)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node-red exited with ${code}: ${output.join('').slice(-600)}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  // keep draining its output
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    recordsFile,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Mosquitto and Node-RED with the flow, knowing `kits`' devices and `tasks`: the broker's url for the load generator */
export async function startNodeRedSystem(red: string, kits: readonly KitClients[], tasks: BenchTask[]): Promise<{ url: string; close(): Promise<void> }> {
  const mosq = await startMosquitto();
  try {
    const nodeRed = await startNodeRed({ red, mqttPort: mosq.port, context: { devices: kits.flatMap((k) => [{ id: k.scanner.id, kit: k.kit }, { id: k.scale.id, kit: k.kit }]), tasks } });
    return {
      url: mosq.url,
      async close() {
        await nodeRed.stop();
        await mosq.stop();
      },
    };
  } catch (err) {
    await mosq.stop();
    throw err;
  }
}
