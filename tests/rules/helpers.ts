/** Shared fakes of the rules tests: a silent logger, temp folders, task fixtures, timers on a sinon clock. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import sinon from 'sinon';
import type { Task } from '../../rules/tasks.js';
import type { Timers } from '../../core/timers.js';

export const silentLog = pino({ level: 'silent' });

export async function tempDir(prefix = 'cg-rules-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export const kitPosition = { lat: 52.5219, lon: 13.4132 };

export function task(over: Partial<Task> = {}): Task {
  return {
    id: 'T1',
    kit: 'kit-1',
    waybill: 'RR123456785CN',
    customer: 'Acme GmbH',
    address: { text: 'Alexanderplatz 1, Berlin', ...kitPosition },
    window: { from: '2025-03-01T08:00:00Z', to: '2025-03-01T18:00:00Z' },
    declaredWeightGrams: 1200,
    service: 'standard',
    sequence: 1,
    ...over,
  };
}

/** Timers on a sinon clock that also tell when something was scheduled. */
export function clockTimers(clock: sinon.SinonFakeTimers): Timers & { scheduled(): Promise<void> } {
  let waiters: (() => void)[] = [];
  return {
    setTimeout(fn, ms) {
      const handle = clock.setTimeout(fn, ms);
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
      return handle;
    },
    clearTimeout(handle) {
      clock.clearTimeout(handle as Parameters<typeof clock.clearTimeout>[0]);
    },
    scheduled() {
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}
