/**
 * The transports every device family shares, as interfaces. The implementations wrap
 * serialport, node-hid and noble; tests and simulators replace them at this seam.
 */
import type { EventEmitter } from 'node:events';
import type { Transform } from 'node:stream';

export interface SerialOptions {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  /** makes the frame splitter (a Transform emitting one frame per chunk); always capped */
  framing: () => Transform;
  /** reconnect backoff bounds, ms */
  backoff?: { minMs: number; maxMs: number };
  /** how often the open port's path is checked to still lead to the same device, ms (default 1000) */
  presenceCheckMs?: number;
}

/** The events of a SerialLink, by name: their arguments. */
export interface SerialLinkEvents {
  open: [];
  /** the port closed or went away; a reopen follows with backoff unless stopped */
  close: [reason: Error | undefined];
  /** one whole frame from the framing */
  frame: [frame: Buffer | string];
  /** a frame longer than the framing's cap, dropped */
  overflow: [dropped: Buffer];
  error: [error: Error];
}

/**
 * A serial line that opens itself, reopens with backoff and jitter when the port
 * disappears, and emits whole frames (events: SerialLinkEvents).
 */
export interface SerialLink {
  on<K extends keyof SerialLinkEvents>(event: K, listener: (...args: SerialLinkEvents[K]) => void): this;
  off<K extends keyof SerialLinkEvents>(event: K, listener: (...args: SerialLinkEvents[K]) => void): this;
  removeAllListeners(event?: keyof SerialLinkEvents): this;
  readonly isOpen: boolean;
  start(): void;
  write(data: Uint8Array | string): Promise<void>;
  stop(): Promise<void>;
}

export interface HidDeviceInfo {
  path?: string;
  vendorId: number;
  productId: number;
  usagePage?: number;
  usage?: number;
  product?: string;
  manufacturer?: string;
  serialNumber?: string;
  interface?: number;
}

/** The part of node-hid's HID device object we use. Events: 'data' (Buffer), 'error' (Error). */
export interface HidHandle extends EventEmitter {
  write(data: number[]): number;
  close(): void;
}

/** The part of node-hid we use. */
export interface HidBackend {
  devices(): HidDeviceInfo[];
  open(path: string): HidHandle;
}

export interface HidMatch {
  path?: string;
  vendorId?: number;
  productId?: number;
  usagePage?: number;
}

/** The part of a noble characteristic we use. Events: 'data' (Buffer, isNotification). */
export interface BleCharacteristic extends EventEmitter {
  uuid: string;
  subscribeAsync(): Promise<void>;
  readAsync(): Promise<Buffer>;
  writeAsync?(data: Buffer, withoutResponse: boolean): Promise<void>;
}

/** The part of a noble peripheral we use. Events: 'disconnect'. */
export interface BlePeripheral extends EventEmitter {
  id: string;
  address: string;
  advertisement: { localName?: string; serviceUuids?: string[] };
  connectAsync(): Promise<void>;
  disconnectAsync(): Promise<void>;
  discoverSomeServicesAndCharacteristicsAsync(
    serviceUuids: string[],
    characteristicUuids: string[],
  ): Promise<{ characteristics: BleCharacteristic[] }>;
}

/** The part of noble we use. Events: 'stateChange' (state), 'discover' (peripheral). */
export interface BleBackend extends EventEmitter {
  state: string;
  startScanningAsync(serviceUuids: string[], allowDuplicates: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}

/** The transports handed to drivers. hid() and ble() load their library on first use. */
export interface Transports {
  serial(options: SerialOptions): SerialLink;
  /** rejects with TransportUnavailableError when node-hid cannot load here */
  hid(): Promise<HidBackend>;
  /** rejects with TransportUnavailableError when noble cannot load (no Bluetooth) */
  ble(): Promise<BleBackend>;
}

export class TransportUnavailableError extends Error {
  override readonly name = 'TransportUnavailableError';
  constructor(readonly transport: 'hid' | 'ble' | 'serial', readonly reason: string) {
    super(`${transport} transport unavailable: ${reason}`);
  }
}
