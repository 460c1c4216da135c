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

const PASSWORD = 'bench-pw';

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

export async function startGatewayTarget(o: { kits: number; tasksPerKit?: number }): Promise<GatewayTarget> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-bench-sut-'));
  let gateway: GatewayProcess | undefined;
  try {
    const mqttPort = await freePort();
    const httpPort = await freePort();
    const tasksFile = o.tasksPerKit ? path.join(dir, 'tasks.json') : undefined;
    const cfg = await writeBenchGatewayConfig({ dir, dataDir: path.join(dir, 'data'), mqttPort, httpPort, kits: o.kits, password: PASSWORD, passwordHash: hashPasswordSync(PASSWORD), tasksFile });
    const kits = withPositions(cfg.kits);
    const tasks = tasksFile ? benchTasks(kits, o.tasksPerKit ?? 0) : [];
    if (tasksFile) await writeTasksFile(tasksFile, tasks);
    gateway = await startGatewayProcess(cfg.file, httpPort, 120_000);
    const gw = gateway;
    const load = await KitLoad.start({ url: `mqtt://127.0.0.1:${mqttPort}`, kits, awaitVerdicts: true, recorded: true });
    return {
      load,
      kits,
      gateway: gw,
      tasks: tasks.length,
      async close() {
        await load.close();
        await gw.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await gateway?.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
