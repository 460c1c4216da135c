/**
 * The compiled gateway as the system under test of a load run: started as a child process
 * with `kits` kits of MQTT-native scanners and scales, optionally a tasks file with a task
 * for each of the first `tasksPerKit` pairs of every kit, and its load generator connected.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPasswordSync } from '../core/passwords.js';
import { writeBenchGatewayConfig } from './gateway-config.js';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js';
import { KitLoad, type KitClients } from './kit-load.js';
import { freePort } from '../core/ports.js';
import { benchTasks, kitPosition, writeTasksFile } from './tasks-file.js';

export const PASSWORD = 'bench-pw';

/** the weigh-and-scan pipeline is part of this build */
export function pipelinePresent(): boolean {
  return existsSync(fileURLToPath(new URL('../rules/pipeline.js', import.meta.url)));
}

export interface LoadTarget {
  load: KitLoad;
  kits: KitClients[];
  close(): Promise<void>;
}

export interface GatewayTarget extends LoadTarget {
  gateway: GatewayProcess;
  tasks: number;
}

export function withPositions(kits: KitClients[]): KitClients[] {
  return kits.map((k) => ({ ...k, position: kitPosition(k.kitIndex) }));
}

export interface GatewaySystem {
  gateway: GatewayProcess;
  kits: KitClients[];
  url: string;
  dataDir: string;
  gatewayId: string;
  tasks: number;
  close(): Promise<void>;
}

/**
 * The compiled gateway with `kits` kits (positions set) and a tasks file of `tasksPerKit`
 * tasks per kit; `passwordHash` for the devices (scrypt of PASSWORD, the CLI's cost by default).
 */
export async function startGatewaySystem(o: { kits: number; tasksPerKit?: number; passwordHash?: string; apps?: boolean }): Promise<GatewaySystem> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-bench-sut-'));
  try {
    const mqttPort = await freePort();
    const httpPort = await freePort();
    const dataDir = path.join(dir, 'data');
    const tasksFile = o.tasksPerKit ? path.join(dir, 'tasks.json') : undefined;
    const cfg = await writeBenchGatewayConfig({ dir, dataDir, mqttPort, httpPort, kits: o.kits, apps: o.apps, password: PASSWORD, passwordHash: o.passwordHash ?? hashPasswordSync(PASSWORD), tasksFile });
    const kits = withPositions(cfg.kits);
    const tasks = tasksFile ? benchTasks(kits, o.tasksPerKit ?? 0) : [];
    if (tasksFile) await writeTasksFile(tasksFile, tasks);
    const gateway = await startGatewayProcess(cfg.file, httpPort, 120_000);
    return {
      gateway,
      kits,
      url: `mqtt://127.0.0.1:${mqttPort}`,
      dataDir,
      gatewayId: 'bench-gw',
      tasks: tasks.length,
      async close() {
        await gateway.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** the closed-loop load generator connected to a started system; closing the target closes both */
export async function kitLoadOn(sys: { url: string; close(): Promise<void> }, kits: KitClients[], recorded: boolean): Promise<LoadTarget> {
  try {
    const load = await KitLoad.start({ url: sys.url, kits, awaitVerdicts: true, recorded });
    const close = async () => {
      await load.close();
      await sys.close();
    };
    return { load, kits, close };
  } catch (err) {
    await sys.close();
    throw err;
  }
}

export async function startGatewayTarget(o: { kits: number; tasksPerKit?: number }): Promise<GatewayTarget> {
  const sys = await startGatewaySystem(o);
  return { ...(await kitLoadOn(sys, sys.kits, true)), gateway: sys.gateway, tasks: sys.tasks };
}
