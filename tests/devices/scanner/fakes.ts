/** Fakes at the thinnest seams for driver tests: a DriverContext that records, a SerialLink, a node-hid backend. */
import { EventEmitter } from 'node:events';
import type { Transform } from 'node:stream';
import pino from 'pino';
import type { CodecError } from '../../../devices/codec.js';
import type { DeviceConfig, DeviceState, DriverContext } from '../../../devices/driver.js';
import type { EventPayload, EventType } from '../../../devices/events.js';
import {
  TransportUnavailableError, type HidBackend, type HidDeviceInfo, type HidHandle, type SerialLink, type SerialOptions, type Transports,
} from '../../../devices/transports/types.js';

export interface Recorded {
  ctx: DriverContext;
  emits: Array<{ type: EventType; payload: Record<string, unknown> }>;
  statuses: Array<{ state: DeviceState; detail?: Record<string, unknown> }>;
  faults: Array<{ kind: string; error: CodecError | Error; detail?: Record<string, unknown> }>;
}

export function fakeContext(device: Partial<DeviceConfig> & Pick<DeviceConfig, 'transport'>, transports: Partial<Transports>): Recorded {
  const rec: Omit<Recorded, 'ctx'> = { emits: [], statuses: [], faults: [] };
  const store = new Map<string, unknown>();
  const ctx: DriverContext = {
    device: { id: 'dev-1', kind: 'scanner', kit: 'kit-1', ...device },
    log: pino({ level: 'silent' }),
    emit<T extends EventType>(type: T, payload: EventPayload<T>) {
      rec.emits.push({ type, payload: payload as Record<string, unknown> });
    },
    status: (state, detail) => void rec.statuses.push({ state, detail }),
    fault: (kind, error, detail) => void rec.faults.push({ kind, error, detail }),
    transports: {
      serial: transports.serial ?? (() => { throw new Error('no serial in this test'); }),
      hid: transports.hid ?? (() => Promise.reject(new TransportUnavailableError('hid', 'not in this test'))),
      ble: transports.ble ?? (() => Promise.reject(new TransportUnavailableError('ble', 'not in this test'))),
    },
    state: { get: <T>(k: string) => store.get(k) as T | undefined, set: async (k, v) => void store.set(k, v) },
    now: () => Date.now(),
  };
  return { ctx, ...rec };
}

/** A SerialLink whose bytes go through the driver's own framing, as the real link does. */
export class FakeSerialLink extends EventEmitter implements SerialLink {
  isOpen = false;
  started = false;
  readonly written: Array<Uint8Array | string> = [];
  private readonly framing: Transform;

  constructor(readonly options: SerialOptions) {
    super();
    this.framing = options.framing();
    this.framing.on('data', (frame: Buffer | string) => this.emit('frame', frame));
    this.framing.on('overflow', (dropped: Buffer) => this.emit('overflow', dropped));
  }

  start(): void {
    this.started = true;
    this.isOpen = true;
    this.emit('open');
  }

  /** bytes from the device */
  feed(data: string | Uint8Array): void {
    this.framing.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data));
  }

  async write(data: Uint8Array | string): Promise<void> {
    this.written.push(data);
  }

  async stop(): Promise<void> {
    this.isOpen = false;
    this.emit('close', undefined);
  }
}

export function fakeSerial(): { serial: (o: SerialOptions) => SerialLink; links: FakeSerialLink[] } {
  const links: FakeSerialLink[] = [];
  return { links, serial: (o) => { const l = new FakeSerialLink(o); links.push(l); return l; } };
}

export class FakeHidHandle extends EventEmitter implements HidHandle {
  closed = false;
  write(data: number[]): number {
    return data.length;
  }
  close(): void {
    this.closed = true;
  }
}

/** node-hid as far as the drivers use it: a device list the test changes, and handles. */
export class FakeHidBackend implements HidBackend {
  attached: HidDeviceInfo[] = [];
  readonly opened: FakeHidHandle[] = [];
  failOpen = false;

  devices(): HidDeviceInfo[] {
    return this.attached.map((d) => ({ ...d }));
  }

  open(path: string): HidHandle {
    if (this.failOpen) throw new Error(`cannot open ${path}`);
    if (!this.attached.some((d) => d.path === path)) throw new Error(`no device at ${path}`);
    const h = new FakeHidHandle();
    this.opened.push(h);
    return h;
  }

  get current(): FakeHidHandle | undefined {
    return this.opened.filter((h) => !h.closed).at(-1);
  }
}
