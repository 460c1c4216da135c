/**
 * The tasks file (config `tasks.file`) for a load run: one task per waybill the load
 * generator will scan, at the kit's position, inside its time window, with the declared
 * weight the scale will show (give or take 3 g), so every pair is accepted and recorded.
 */
import { writeFile } from 'node:fs/promises';
import type { KitClients } from './kit-load.js';
import { declaredGramsOf, waybillOf } from './waybills.js';

export interface BenchTask {
  id: string;
  kit: string;
  waybill: string;
  customer: string;
  address: { text: string; lat: number; lon: number };
  window: { from: string; to: string };
  declaredWeightGrams: number;
  service: 'standard';
  sequence: number;
}

/** where kit number `kitIndex` stands during a run */
export function kitPosition(kitIndex: number): { lat: number; lon: number } {
  return { lat: 52.5 + kitIndex * 0.01, lon: 13.4 };
}

/** tasks for pairs [0, pairsPerKit) of every kit */
export function benchTasks(kits: readonly KitClients[], pairsPerKit: number, now = Date.now()): BenchTask[] {
  const window = { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 86_400_000).toISOString() };
  const tasks: BenchTask[] = [];
  for (const k of kits) {
    const p = kitPosition(k.kitIndex);
    for (let i = 0; i < pairsPerKit; i++) {
      tasks.push({
        id: `T-${k.kit}-${i}`,
        kit: k.kit,
        waybill: waybillOf(k.kitIndex, i),
        customer: `Customer ${i}`,
        address: { text: `Stop ${i}, ${k.kit}`, lat: p.lat, lon: p.lon },
        window,
        declaredWeightGrams: declaredGramsOf(k.kitIndex, i),
        service: 'standard',
        sequence: i,
      });
    }
  }
  return tasks;
}

export async function writeTasksFile(file: string, tasks: readonly BenchTask[]): Promise<void> {
  await writeFile(file, JSON.stringify({ tasks }));
}
