/**
 * The simulator transport: HID and BLE backends that reach simulated devices over one TCP
 * connection to `courier-gw sim devices` (127.0.0.1), so the gateway's real HID and BLE
 * drivers and codecs run unchanged. The wire is JSON lines (one object per line, UTF-8,
 * bytes as lowercase hex); the messages are the schemas below. The connection comes back
 * by itself: while it is down the HID list is empty and BLE reads 'poweredOff'.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { z } from 'zod';
import { backoffDelay } from '../../core/backoff.js';
import {
  TransportUnavailableError,
  type BleBackend,
  type BleCharacteristic,
  type BlePeripheral,
  type HidBackend,
  type HidDeviceInfo,
  type HidHandle,
} from './types.js';

/** the longest line either side accepts, bytes; a longer one ends the connection */
export const SIM_WIRE_MAX_LINE = 1 << 20;

const hex = z.string().regex(/^([0-9a-f]{2})*$/);
const hidInfo = z.object({
  path: z.string(),
  vendorId: z.number().int(),
  productId: z.number().int(),
  usagePage: z.number().int().optional(),
  usage: z.number().int().optional(),
  product: z.string().optional(),
  manufacturer: z.string().optional(),
  serialNumber: z.string().optional(),
  interface: z.number().int().optional(),
});
const blePeripheralInfo = z.object({
  id: z.string(),
  address: z.string(),
  localName: z.string().optional(),
  serviceUuids: z.array(z.string()),
});

/** what the gateway sends; `id` asks for one answer `{ re: id, ok, ... }` */
export const simRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('hid.open'), id: z.number().int(), handle: z.number().int(), path: z.string() }),
  z.object({ op: z.literal('hid.write'), handle: z.number().int(), data: hex }),
  z.object({ op: z.literal('hid.close'), handle: z.number().int() }),
  z.object({ op: z.literal('ble.scan'), id: z.number().int(), services: z.array(z.string()) }),
  z.object({ op: z.literal('ble.stopScan'), id: z.number().int() }),
  z.object({ op: z.literal('ble.connect'), id: z.number().int(), peripheral: z.string() }),
  z.object({ op: z.literal('ble.disconnect'), id: z.number().int(), peripheral: z.string() }),
  z.object({
    op: z.literal('ble.characteristics'),
    id: z.number().int(),
    peripheral: z.string(),
    services: z.array(z.string()),
    characteristics: z.array(z.string()),
  }),
  z.object({ op: z.literal('ble.read'), id: z.number().int(), peripheral: z.string(), characteristic: z.string() }),
  z.object({ op: z.literal('ble.subscribe'), id: z.number().int(), peripheral: z.string(), characteristic: z.string() }),
  z.object({
    op: z.literal('ble.write'),
    id: z.number().int(),
    peripheral: z.string(),
    characteristic: z.string(),
    data: hex,
    withoutResponse: z.boolean(),
  }),
]);
export type SimRequest = z.infer<typeof simRequestSchema>;

/** what the simulator sends: answers (`re`) and events (`ev`) */
export const simMessageSchema = z.union([
  z.object({
    re: z.number().int(),
    ok: z.boolean(),
    error: z.string().optional(),
    data: hex.optional(),
    characteristics: z.array(z.string()).optional(),
  }),
  z.discriminatedUnion('ev', [
    z.object({ ev: z.literal('hid.devices'), devices: z.array(hidInfo) }),
    z.object({ ev: z.literal('hid.data'), handle: z.number().int(), data: hex }),
    z.object({ ev: z.literal('hid.error'), handle: z.number().int(), message: z.string() }),
    z.object({ ev: z.literal('ble.state'), state: z.string() }),
    z.object({ ev: z.literal('ble.discover'), peripheral: blePeripheralInfo }),
    z.object({ ev: z.literal('ble.data'), peripheral: z.string(), characteristic: z.string(), data: hex }),
    z.object({ ev: z.literal('ble.disconnect'), peripheral: z.string() }),
  ]),
]);
export type SimMessage = z.infer<typeof simMessageSchema>;
export type SimHidInfo = z.infer<typeof hidInfo>;
export type SimBlePeripheralInfo = z.infer<typeof blePeripheralInfo>;

/** Splits a socket's bytes into JSON-line objects; a line over the cap or not JSON calls onBad. */
export function jsonLines(onLine: (value: unknown) => void, onBad: (reason: string) => void): (chunk: Buffer) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.toString('utf8');
    let at: number;
    while ((at = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, at).trim();
      buffer = buffer.slice(at + 1);
      if (line === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        onBad(`not JSON: ${line.slice(0, 80)}`);
        continue;
      }
      onLine(value);
    }
    if (buffer.length > SIM_WIRE_MAX_LINE) {
      buffer = '';
      onBad(`line longer than ${SIM_WIRE_MAX_LINE} bytes`);
    }
  };
}

export interface SimRemoteOptions {
  /** reconnect backoff bounds, ms; default 200..5000 */
  backoff?: { minMs: number; maxMs: number };
  /** how long hid() / ble() wait for the first connection before resolving anyway, ms; default 2000 */
  firstConnectMs?: number;
}

export interface SimRemoteBackends {
  hid(): Promise<HidBackend>;
  ble(): Promise<BleBackend>;
  /** ends the connection and stops reconnecting */
  close(): Promise<void>;
}

type Answer = Extract<SimMessage, { re: number }>;
type Request = SimRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** Parses `tcp://host:port` (or `host:port`). */
export function parseSimRemoteUrl(url: string): { host: string; port: number } | undefined {
  const m = /^(?:tcp:\/\/)?([^:/]+):(\d{1,5})\/?$/.exec(url.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  return port > 0 && port <= 65535 ? { host: m[1], port } : undefined;
}

class Connection extends EventEmitter {
  private socket: net.Socket | undefined;
  private connected = false;
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(a: Answer): void; reject(e: Error): void }>();
  readonly firstAttempt: Promise<void>;
  private settleFirst: () => void = () => undefined;

  constructor(private readonly target: { host: string; port: number }, private readonly options: SimRemoteOptions) {
    super();
    this.firstAttempt = new Promise((resolve) => (this.settleFirst = resolve));
    const wait = setTimeout(() => this.settleFirst(), options.firstConnectMs ?? 2000);
    wait.unref();
    this.connect();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  send(message: SimRequest): boolean {
    if (!this.connected || !this.socket) return false;
    this.socket.write(`${JSON.stringify(message)}\n`);
    return true;
  }

  request(message: Request): Promise<Answer> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.send({ ...message, id } as SimRequest)) {
        reject(new Error('simulator transport not connected'));
        return;
      }
      this.pending.set(id, { resolve, reject });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const socket = this.socket;
    if (socket && !socket.destroyed) await new Promise<void>((resolve) => socket.end(resolve));
    socket?.destroy();
  }

  private connect(): void {
    if (this.closed) return;
    const socket = net.connect(this.target);
    this.socket = socket;
    const feed = jsonLines(
      (value) => this.onMessage(value),
      () => socket.destroy(),
    );
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.connected = true;
      this.attempt = 0;
      this.emit('up');
    });
    socket.on('data', feed);
    socket.on('error', () => undefined);
    socket.on('close', () => this.lost(socket));
  }

  private lost(socket: net.Socket): void {
    if (this.socket !== socket) return;
    const wasConnected = this.connected;
    this.connected = false;
    this.socket = undefined;
    for (const p of this.pending.values()) p.reject(new Error('simulator transport connection lost'));
    this.pending.clear();
    if (wasConnected) this.emit('down');
    else this.settleFirst();
    if (this.closed) return;
    const { minMs, maxMs } = this.options.backoff ?? { minMs: 200, maxMs: 5000 };
    this.timer = setTimeout(() => this.connect(), backoffDelay(this.attempt++, minMs, maxMs));
    this.timer.unref();
  }

  private onMessage(value: unknown): void {
    const parsed = simMessageSchema.safeParse(value);
    if (!parsed.success) return;
    const m = parsed.data;
    if ('re' in m) {
      const p = this.pending.get(m.re);
      this.pending.delete(m.re);
      p?.resolve(m);
      return;
    }
    if (m.ev === 'hid.devices') this.settleFirst();
    this.emit('message', m);
  }
}

const bytesOf = (data: string): Buffer => Buffer.from(data, 'hex');

async function ok(answer: Promise<Answer>): Promise<Answer> {
  const a = await answer;
  if (!a.ok) throw new Error(a.error ?? 'refused by the simulator');
  return a;
}

class RemoteHidHandle extends EventEmitter implements HidHandle {
  closed = false;
  constructor(private readonly conn: Connection, readonly handle: number) {
    super();
  }

  write(data: number[]): number {
    if (this.closed) throw new Error('HID device is closed');
    if (!this.conn.send({ op: 'hid.write', handle: this.handle, data: Buffer.from(data).toString('hex') })) {
      throw new Error('could not write to HID device (simulator transport down)');
    }
    return data.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.send({ op: 'hid.close', handle: this.handle });
    this.emit('closed');
  }
}

class RemoteHid implements HidBackend {
  private list: HidDeviceInfo[] = [];
  private nextHandle = 1;
  private readonly handles = new Map<number, RemoteHidHandle>();

  constructor(private readonly conn: Connection) {
    conn.on('message', (m: SimMessage) => this.onMessage(m));
    conn.on('down', () => {
      this.list = [];
      for (const h of [...this.handles.values()]) this.fail(h, 'simulator transport connection lost');
    });
  }

  devices(): HidDeviceInfo[] {
    return this.list.map((d) => ({ ...d }));
  }

  open(path: string): HidHandle {
    if (!this.list.some((d) => d.path === path)) throw new Error(`cannot open device with path ${path}`);
    const handle = new RemoteHidHandle(this.conn, this.nextHandle++);
    this.handles.set(handle.handle, handle);
    handle.once('closed', () => this.handles.delete(handle.handle));
    this.conn.request({ op: 'hid.open', handle: handle.handle, path }).then(
      (a) => (a.ok ? undefined : this.fail(handle, a.error ?? 'open refused')),
      (e: Error) => this.fail(handle, e.message),
    );
    return handle;
  }

  private fail(handle: RemoteHidHandle, message: string): void {
    if (handle.closed || !this.handles.has(handle.handle)) return;
    this.handles.delete(handle.handle);
    handle.emit('error', new Error(message));
  }

  private onMessage(m: SimMessage): void {
    if (!('ev' in m)) return;
    if (m.ev === 'hid.devices') this.list = m.devices;
    else if (m.ev === 'hid.data') this.handles.get(m.handle)?.emit('data', bytesOf(m.data));
    else if (m.ev === 'hid.error') {
      const h = this.handles.get(m.handle);
      if (h) this.fail(h, m.message);
    }
  }
}

class RemoteCharacteristic extends EventEmitter implements BleCharacteristic {
  constructor(private readonly conn: Connection, private readonly peripheral: string, readonly uuid: string) {
    super();
  }

  async subscribeAsync(): Promise<void> {
    await ok(this.conn.request({ op: 'ble.subscribe', peripheral: this.peripheral, characteristic: this.uuid }));
  }

  async readAsync(): Promise<Buffer> {
    const a = await ok(this.conn.request({ op: 'ble.read', peripheral: this.peripheral, characteristic: this.uuid }));
    return bytesOf(a.data ?? '');
  }

  async writeAsync(data: Buffer, withoutResponse: boolean): Promise<void> {
    await ok(this.conn.request({ op: 'ble.write', peripheral: this.peripheral, characteristic: this.uuid, data: data.toString('hex'), withoutResponse }));
  }
}

class RemotePeripheral extends EventEmitter implements BlePeripheral {
  readonly address: string;
  advertisement: { localName?: string; serviceUuids?: string[] };
  connected = false;
  characteristics = new Map<string, RemoteCharacteristic>();

  constructor(private readonly conn: Connection, readonly id: string, info: SimBlePeripheralInfo) {
    super();
    this.address = info.address;
    this.advertisement = { localName: info.localName, serviceUuids: info.serviceUuids };
  }

  async connectAsync(): Promise<void> {
    await ok(this.conn.request({ op: 'ble.connect', peripheral: this.id }));
    this.connected = true;
  }

  async disconnectAsync(): Promise<void> {
    if (!this.connected) return;
    await this.conn.request({ op: 'ble.disconnect', peripheral: this.id }).catch(() => undefined);
    this.dropped();
  }

  async discoverSomeServicesAndCharacteristicsAsync(serviceUuids: string[], characteristicUuids: string[]): Promise<{ characteristics: BleCharacteristic[] }> {
    const a = await ok(this.conn.request({ op: 'ble.characteristics', peripheral: this.id, services: serviceUuids, characteristics: characteristicUuids }));
    const list = (a.characteristics ?? []).map((uuid) => {
      let c = this.characteristics.get(uuid);
      if (!c) this.characteristics.set(uuid, (c = new RemoteCharacteristic(this.conn, this.id, uuid)));
      return c;
    });
    return { characteristics: list };
  }

  dropped(): void {
    if (!this.connected) return;
    this.connected = false;
    this.emit('disconnect');
  }
}

class RemoteBle extends EventEmitter implements BleBackend {
  state = 'poweredOff';
  private readonly peripherals = new Map<string, RemotePeripheral>();

  constructor(private readonly conn: Connection) {
    super();
    conn.on('message', (m: SimMessage) => this.onMessage(m));
    conn.on('down', () => {
      for (const p of this.peripherals.values()) p.dropped();
      this.setState('poweredOff');
    });
  }

  async startScanningAsync(serviceUuids: string[], _allowDuplicates: boolean): Promise<void> {
    await ok(this.conn.request({ op: 'ble.scan', services: serviceUuids }));
  }

  async stopScanningAsync(): Promise<void> {
    if (this.conn.isConnected) await ok(this.conn.request({ op: 'ble.stopScan' }));
  }

  private setState(state: string): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('stateChange', state);
  }

  private onMessage(m: SimMessage): void {
    if (!('ev' in m)) return;
    switch (m.ev) {
      case 'ble.state':
        this.setState(m.state);
        return;
      case 'ble.discover': {
        const info = m.peripheral;
        let p = this.peripherals.get(info.id);
        if (!p) this.peripherals.set(info.id, (p = new RemotePeripheral(this.conn, info.id, info)));
        else p.advertisement = { localName: info.localName, serviceUuids: info.serviceUuids };
        this.emit('discover', p);
        return;
      }
      case 'ble.data':
        this.peripherals.get(m.peripheral)?.characteristics.get(m.characteristic)?.emit('data', bytesOf(m.data), true);
        return;
      case 'ble.disconnect':
        this.peripherals.get(m.peripheral)?.dropped();
        return;
    }
  }
}

/**
 * HID and BLE backends over the simulator transport at `url` (`tcp://127.0.0.1:7355`).
 * Connects on the first hid() / ble() call; never rejects for a simulator that is not
 * up yet (its devices appear when it is), only for a URL that cannot be parsed.
 */
export function createSimRemoteBackends(url: string, options: SimRemoteOptions = {}): SimRemoteBackends {
  const target = parseSimRemoteUrl(url);
  let side: { conn: Connection; hid: RemoteHid; ble: RemoteBle } | undefined;
  const open = (transport: 'hid' | 'ble') => {
    if (!target) throw new TransportUnavailableError(transport, `bad simulator transport URL "${url}" (expected tcp://host:port)`);
    if (!side) {
      // both sides listen from the start: the first messages carry the HID list and the BLE state
      const conn = new Connection(target, options);
      side = { conn, hid: new RemoteHid(conn), ble: new RemoteBle(conn) };
    }
    return side;
  };
  return {
    async hid() {
      const s = open('hid');
      await s.conn.firstAttempt;
      return s.hid;
    },
    async ble() {
      const s = open('ble');
      await s.conn.firstAttempt;
      return s.ble;
    },
    async close() {
      await side?.conn.close();
    },
  };
}
