/**
 * A DriverContext for locker tests: records emits, statuses and faults, keeps state in
 * a Map (shared across restarts when the same store is passed), and hands out a
 * StubbedLink wired to the firmware stub.
 */
import pino from 'pino';
import type { DeviceConfig, DeviceState, DeviceStateStore, DriverContext } from '../../../devices/driver.js';
import type { EventPayload, EventType } from '../../../devices/events.js';
import type { SerialOptions, Transports } from '../../../devices/transports/types.js';
import type { LockBoardLine } from '../../../firmware-stubs/locker/lock-board.js';
import { StubbedLink } from './stubbed-link.js';

export class MapStore implements DeviceStateStore {
  readonly data = new Map<string, unknown>();
  writes = 0;
  get<T>(key: string): T | undefined {
    const value = this.data.get(key);
    return value === undefined ? undefined : (structuredClone(value) as T);
  }
  async set(key: string, value: unknown): Promise<void> {
    this.writes++;
    this.data.set(key, structuredClone(value));
  }
}

export interface Recorded {
  ctx: DriverContext;
  emits: { type: string; payload: Record<string, unknown> }[];
  statuses: { state: DeviceState; detail?: Record<string, unknown> }[];
  faults: { kind: string; message: string; detail?: Record<string, unknown> }[];
  links: StubbedLink[];
  serialOptions: SerialOptions[];
}

export function fakeContext(
  device: DeviceConfig,
  stub: LockBoardLine,
  store = new MapStore(),
  onEmit?: (type: EventType, payload: Record<string, unknown>) => void,
): Recorded {
  const rec: Omit<Recorded, 'ctx'> = { emits: [], statuses: [], faults: [], links: [], serialOptions: [] };
  const transports: Transports = {
    serial(options) {
      rec.serialOptions.push(options);
      const link = new StubbedLink(stub);
      rec.links.push(link);
      return link;
    },
    hid: () => Promise.reject(new Error('no hid in this test')),
    ble: () => Promise.reject(new Error('no ble in this test')),
  };
  const ctx: DriverContext = {
    device,
    log: pino({ level: 'silent' }),
    emit<T extends EventType>(type: T, payload: EventPayload<T>) {
      rec.emits.push({ type, payload: payload as Record<string, unknown> });
      onEmit?.(type, payload as Record<string, unknown>);
    },
    status(state, detail) {
      rec.statuses.push({ state, detail });
    },
    fault(kind, error, detail) {
      rec.faults.push({ kind, message: error.message, detail });
    },
    transports,
    state: store,
    now: () => Date.now(),
  };
  return { ctx, ...rec };
}

export const bankDevice: DeviceConfig = {
  id: 'bank-1',
  kind: 'locker',
  kit: 'branch-1',
  protocol: 'kerong-cu16',
  transport: { type: 'serial', path: '/dev/ttyUSB1', baudRate: 19200 },
  lockedBit: 0,
  pollMs: 500,
  compartments: [
    { id: 'A01', board: 1, lock: 1, size: 'S' },
    { id: 'A02', board: 1, lock: 2, size: 'S' },
    { id: 'A03', board: 1, lock: 3, size: 'M' },
    { id: 'B01', board: 2, lock: 1, size: 'L' },
  ],
};
