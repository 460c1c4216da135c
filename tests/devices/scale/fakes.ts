/**
 * Fakes at the thinnest point of each transport: a SerialLink (frames through the real
 * framing), node-hid's backend and device object, noble's backend, peripheral and
 * characteristic, and a DriverContext that records what a driver emits.
 */
import { EventEmitter } from 'node:events';
import type { Transform } from 'node:stream';
import pino from 'pino';
import type { DeviceConfig, DeviceState, DriverContext } from '../../../devices/driver.js';
import type { EventPayload, EventType } from '../../../devices/events.js';
import {
  TransportUnavailableError,
  type BleBackend,
  type BleCharacteristic,
  type BlePeripheral,
  type HidBackend,
  type HidDeviceInfo,
  type HidHandle,
  type SerialLink,
  type SerialOptions,
  type Transports,
} from '../../../devices/transports/types.js';

export class FakeSerialLink extends EventEmitter implements SerialLink {
  isOpen = false;
  started = false;
  readonly writes: string[] = [];
  failWrites = false;
  /** called with each write, e.g. to let a firmware stub answer */
  onWrite: ((data: string) => void) | undefined;
  private framing: Transform;

  constructor(readonly options: SerialOptions) {
    super();
    this.framing = options.framing();
    this.framing.on('data', (frame: string | Buffer) => this.emit('frame', frame));
    this.framing.on('overflow', (dropped: Buffer) => this.emit('overflow', dropped));
  }
  start(): void {
    this.started = true;
  }
  open(): void {
    this.isOpen = true;
    this.emit('open');
  }
  close(reason?: Error): void {
    this.isOpen = false;
    this.emit('close', reason);
  }
  /** bytes from the device, through the real framing */
  feed(data: string | Uint8Array): void {
    this.framing.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data));
  }
  async write(data: Uint8Array | string): Promise<void> {
    if (this.failWrites) throw new Error('write failed');
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
    this.writes.push(text);
    this.onWrite?.(text);
  }
  async stop(): Promise<void> {
    this.isOpen = false;
  }
}

export class FakeHidHandle extends EventEmitter implements HidHandle {
  readonly writes: number[][] = [];
  closed = false;
  write(data: number[]): number {
    this.writes.push(data);
    return data.length;
  }
  close(): void {
    this.closed = true;
  }
  send(bytes: Uint8Array | number[]): void {
    this.emit('data', Buffer.from(bytes));
  }
}

export class FakeHidBackend implements HidBackend {
  list: HidDeviceInfo[] = [];
  readonly opened: { path: string; handle: FakeHidHandle }[] = [];
  devices(): HidDeviceInfo[] {
    return this.list.map((d) => ({ ...d }));
  }
  open(path: string): HidHandle {
    if (!this.list.some((d) => d.path === path)) throw new Error(`cannot open ${path}`);
    const handle = new FakeHidHandle();
    this.opened.push({ path, handle });
    return handle;
  }
  get handle(): FakeHidHandle {
    return this.opened[this.opened.length - 1].handle;
  }
}

export class FakeCharacteristic extends EventEmitter implements BleCharacteristic {
  subscribed = false;
  constructor(
    readonly uuid: string,
    private value: Buffer = Buffer.alloc(0),
  ) {
    super();
  }
  async subscribeAsync(): Promise<void> {
    this.subscribed = true;
  }
  async readAsync(): Promise<Buffer> {
    return this.value;
  }
  indicate(bytes: Uint8Array): void {
    this.emit('data', Buffer.from(bytes), false);
  }
}

export class FakePeripheral extends EventEmitter implements BlePeripheral {
  connected = false;
  connects = 0;
  failConnect = false;
  constructor(
    readonly id: string,
    readonly address: string,
    readonly advertisement: { localName?: string; serviceUuids?: string[] },
    public characteristics: FakeCharacteristic[],
  ) {
    super();
  }
  async connectAsync(): Promise<void> {
    this.connects++;
    if (this.failConnect) throw new Error('connection refused');
    this.connected = true;
  }
  async disconnectAsync(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    this.emit('disconnect');
  }
  async discoverSomeServicesAndCharacteristicsAsync(): Promise<{ characteristics: BleCharacteristic[] }> {
    return { characteristics: this.characteristics };
  }
}

export class FakeBleBackend extends EventEmitter implements BleBackend {
  state = 'unknown';
  scans: string[][] = [];
  scanning = false;
  async startScanningAsync(serviceUuids: string[]): Promise<void> {
    this.scans.push(serviceUuids);
    this.scanning = true;
  }
  async stopScanningAsync(): Promise<void> {
    this.scanning = false;
  }
  setState(state: string): void {
    this.state = state;
    this.emit('stateChange', state);
  }
}

export interface Recorded {
  emits: { type: EventType; payload: Record<string, unknown> }[];
  statuses: { state: DeviceState; detail?: Record<string, unknown> }[];
  faults: { kind: string; error: Error; detail?: Record<string, unknown> }[];
}

export interface FakeTransports {
  serial?: (options: SerialOptions) => SerialLink;
  hid?: HidBackend | 'unavailable';
  ble?: BleBackend | 'unavailable';
}

export function fakeContext(device: Partial<DeviceConfig> & Pick<DeviceConfig, 'transport'>, transports: FakeTransports): DriverContext & Recorded & { weights(): Record<string, unknown>[]; lastStatus(): DeviceState | undefined } {
  const emits: Recorded['emits'] = [];
  const statuses: Recorded['statuses'] = [];
  const faults: Recorded['faults'] = [];
  const store = new Map<string, unknown>();
  const t: Transports = {
    serial: (o) => {
      if (!transports.serial) throw new Error('no serial in this test');
      return transports.serial(o);
    },
    hid: async () => {
      if (!transports.hid || transports.hid === 'unavailable') throw new TransportUnavailableError('hid', 'libusb-1.0.so.0: cannot open shared object file');
      return transports.hid;
    },
    ble: async () => {
      if (!transports.ble || transports.ble === 'unavailable') throw new TransportUnavailableError('ble', 'EAFNOSUPPORT');
      return transports.ble;
    },
  };
  return {
    device: { id: 'scale-1', kind: 'scale', kit: 'kit-1', ...device },
    log: pino({ level: 'silent' }),
    emit<T extends EventType>(type: T, payload: EventPayload<T>) {
      emits.push({ type, payload: payload as Record<string, unknown> });
    },
    status(state, detail) {
      statuses.push(detail ? { state, detail } : { state });
    },
    fault(kind, error, detail) {
      faults.push(detail ? { kind, error, detail } : { kind, error });
    },
    transports: t,
    state: { get: <T>(k: string) => store.get(k) as T | undefined, set: async (k, v) => void store.set(k, v) },
    now: () => Date.now(),
    emits,
    statuses,
    faults,
    weights: () => emits.filter((e) => e.type === 'weight').map((e) => e.payload),
    lastStatus: () => statuses[statuses.length - 1]?.state,
  };
}
