/**
 * The simulator side of the simulator transport (devices/transports/sim-remote.ts): a TCP
 * server on 127.0.0.1 that lists simulated HID devices and BLE peripherals to every
 * connected gateway, opens them, and carries their reports, notifications and writes as
 * JSON lines. The simulated devices register here and push their bytes through it.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { jsonLines, simRequestSchema, type SimBlePeripheralInfo, type SimHidInfo, type SimMessage, type SimRequest } from '../../devices/transports/sim-remote.js';

export interface SimHidDevice {
  info: SimHidInfo;
  /** an output report from the gateway */
  write?(bytes: Uint8Array): void;
}

export interface SimBlePeripheral {
  info: SimBlePeripheralInfo;
  /** characteristic uuids, 16-bit short form ('2a9d') */
  characteristics: readonly string[];
  read(uuid: string): Uint8Array | undefined;
  /** a gateway subscribed to a characteristic */
  subscribed?(uuid: string): void;
}

interface Session {
  socket: net.Socket;
  /** handle -> path */
  handles: Map<number, string>;
  scanning: string[] | undefined;
  connected: Set<string>;
  /** `${peripheral}/${uuid}` */
  subscriptions: Set<string>;
}

/** '2A9D', '2a9d' and '00002a9d-0000-1000-8000-00805f9b34fb' all become '2a9d' */
export function shortUuid(uuid: string): string {
  const u = uuid.toLowerCase().replace(/-/g, '');
  return u.length === 32 && u.startsWith('0000') && u.endsWith('00001000800000805f9b34fb') ? u.slice(4, 8) : u;
}

export interface SimTransportServerOptions {
  host?: string;
  /** 0 (default) picks a free port */
  port?: number;
  log?: Logger;
}

export class SimTransportServer {
  private readonly hid = new Map<string, { device: SimHidDevice; present: boolean }>();
  private readonly ble = new Map<string, { peripheral: SimBlePeripheral; advertising: boolean }>();
  private readonly sessions = new Set<Session>();

  private constructor(private readonly server: net.Server, private readonly log: Logger | undefined) {
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(options: SimTransportServerOptions = {}): Promise<SimTransportServer> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    return new SimTransportServer(server, options.log);
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  get clients(): number {
    return this.sessions.size;
  }

  addHid(device: SimHidDevice, present = true): void {
    this.hid.set(device.info.path, { device, present });
    this.broadcastHidList();
  }

  /** plug or unplug: an unplugged device leaves the list and its open handles fail */
  setHidPresent(path: string, present: boolean): void {
    const entry = this.hid.get(path);
    if (!entry || entry.present === present) return;
    entry.present = present;
    if (!present) {
      for (const s of this.sessions) {
        for (const [handle, p] of [...s.handles]) {
          if (p !== path) continue;
          s.handles.delete(handle);
          this.send(s, { ev: 'hid.error', handle, message: 'device unplugged' });
        }
      }
    }
    this.broadcastHidList();
  }

  /** an input report to every handle open on the path; returns how many got it */
  hidReport(path: string, bytes: Uint8Array): number {
    if (!this.hid.get(path)?.present) return 0;
    const data = Buffer.from(bytes).toString('hex');
    let n = 0;
    for (const s of this.sessions) {
      for (const [handle, p] of s.handles) {
        if (p !== path) continue;
        this.send(s, { ev: 'hid.data', handle, data });
        n++;
      }
    }
    return n;
  }

  addBle(peripheral: SimBlePeripheral, advertising = true): void {
    this.ble.set(peripheral.info.id, { peripheral, advertising: false });
    this.setBleAdvertising(peripheral.info.id, advertising);
  }

  /** a peripheral that starts advertising is discovered by every gateway scanning for it */
  setBleAdvertising(id: string, advertising: boolean): void {
    const entry = this.ble.get(id);
    if (!entry || entry.advertising === advertising) return;
    entry.advertising = advertising;
    if (advertising) for (const s of this.sessions) this.offer(s, entry.peripheral);
  }

  /** drops every gateway's connection to the peripheral */
  bleDisconnect(id: string): number {
    let n = 0;
    for (const s of this.sessions) {
      if (!s.connected.delete(id)) continue;
      for (const key of [...s.subscriptions]) if (key.startsWith(`${id}/`)) s.subscriptions.delete(key);
      this.send(s, { ev: 'ble.disconnect', peripheral: id });
      n++;
    }
    return n;
  }

  /** a notification to every gateway subscribed; returns how many got it */
  bleNotify(id: string, uuid: string, bytes: Uint8Array): number {
    const key = `${id}/${shortUuid(uuid)}`;
    const data = Buffer.from(bytes).toString('hex');
    let n = 0;
    for (const s of this.sessions) {
      if (!s.subscriptions.has(key)) continue;
      this.send(s, { ev: 'ble.data', peripheral: id, characteristic: shortUuid(uuid), data });
      n++;
    }
    return n;
  }

  bleSubscribers(id: string, uuid: string): number {
    const key = `${id}/${shortUuid(uuid)}`;
    return [...this.sessions].filter((s) => s.subscriptions.has(key)).length;
  }

  async close(): Promise<void> {
    for (const s of this.sessions) s.socket.destroy();
    this.sessions.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const session: Session = { socket, handles: new Map(), scanning: undefined, connected: new Set(), subscriptions: new Set() };
    this.sessions.add(session);
    socket.setNoDelay(true);
    socket.on(
      'data',
      jsonLines(
        (value) => this.onRequest(session, value),
        (reason) => {
          this.log?.warn({ reason }, 'simulator transport: bad line, closing the connection');
          socket.destroy();
        },
      ),
    );
    socket.on('error', () => undefined);
    socket.on('close', () => this.sessions.delete(session));
    this.send(session, { ev: 'ble.state', state: 'poweredOn' });
    this.send(session, { ev: 'hid.devices', devices: this.hidList() });
  }

  private onRequest(s: Session, value: unknown): void {
    const parsed = simRequestSchema.safeParse(value);
    if (!parsed.success) {
      const id = typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'number' ? (value as { id: number }).id : undefined;
      if (id !== undefined) this.send(s, { re: id, ok: false, error: 'bad request' });
      return;
    }
    const r = parsed.data;
    if (r.op === 'hid.write') {
      const path = s.handles.get(r.handle);
      if (path) this.hid.get(path)?.device.write?.(Buffer.from(r.data, 'hex'));
      return;
    }
    if (r.op === 'hid.close') {
      s.handles.delete(r.handle);
      return;
    }
    const error = this.answer(s, r);
    this.send(s, error === undefined ? { re: r.id, ok: true } : typeof error === 'string' ? { re: r.id, ok: false, error } : { re: r.id, ok: true, ...error });
  }

  /** undefined: done; a string: refused; an object: done with these fields */
  private answer(s: Session, r: Exclude<SimRequest, { op: 'hid.write' | 'hid.close' }>): undefined | string | { data?: string; characteristics?: string[] } {
    switch (r.op) {
      case 'hid.open': {
        if (!this.hid.get(r.path)?.present) return `cannot open device with path ${r.path}`;
        s.handles.set(r.handle, r.path);
        return undefined;
      }
      case 'ble.scan':
        s.scanning = r.services.map(shortUuid);
        for (const { peripheral, advertising } of this.ble.values()) if (advertising) this.offer(s, peripheral);
        return undefined;
      case 'ble.stopScan':
        s.scanning = undefined;
        return undefined;
      case 'ble.connect': {
        const entry = this.ble.get(r.peripheral);
        if (!entry?.advertising) return `peripheral ${r.peripheral} not in range`;
        s.connected.add(r.peripheral);
        return undefined;
      }
      case 'ble.disconnect':
        s.connected.delete(r.peripheral);
        for (const key of [...s.subscriptions]) if (key.startsWith(`${r.peripheral}/`)) s.subscriptions.delete(key);
        return undefined;
      case 'ble.characteristics': {
        const p = this.connectedPeripheral(s, r.peripheral);
        if (typeof p === 'string') return p;
        const wanted = r.characteristics.map(shortUuid);
        const services = r.services.map(shortUuid);
        if (services.length > 0 && !p.info.serviceUuids.some((u) => services.includes(shortUuid(u)))) return { characteristics: [] };
        return { characteristics: p.characteristics.filter((c) => wanted.length === 0 || wanted.includes(shortUuid(c))) };
      }
      case 'ble.read': {
        const p = this.connectedPeripheral(s, r.peripheral);
        if (typeof p === 'string') return p;
        const value = p.read(shortUuid(r.characteristic));
        return value === undefined ? `characteristic ${r.characteristic} cannot be read` : { data: Buffer.from(value).toString('hex') };
      }
      case 'ble.subscribe': {
        const p = this.connectedPeripheral(s, r.peripheral);
        if (typeof p === 'string') return p;
        const uuid = shortUuid(r.characteristic);
        if (!p.characteristics.some((c) => shortUuid(c) === uuid)) return `no characteristic ${r.characteristic}`;
        s.subscriptions.add(`${r.peripheral}/${uuid}`);
        p.subscribed?.(uuid);
        return undefined;
      }
      case 'ble.write':
        return `characteristic ${r.characteristic} is not writable`;
    }
  }

  private connectedPeripheral(s: Session, id: string): SimBlePeripheral | string {
    const entry = this.ble.get(id);
    if (!entry || !s.connected.has(id)) return `peripheral ${id} is not connected`;
    return entry.peripheral;
  }

  private offer(s: Session, p: SimBlePeripheral): void {
    const filter = s.scanning;
    if (!filter) return;
    if (filter.length > 0 && !p.info.serviceUuids.some((u) => filter.includes(shortUuid(u)))) return;
    this.send(s, { ev: 'ble.discover', peripheral: p.info });
  }

  private hidList(): SimHidInfo[] {
    return [...this.hid.values()].filter((e) => e.present).map((e) => e.device.info);
  }

  private broadcastHidList(): void {
    const devices = this.hidList();
    for (const s of this.sessions) this.send(s, { ev: 'hid.devices', devices });
  }

  private send(s: Session, message: SimMessage): void {
    if (!s.socket.destroyed) s.socket.write(`${JSON.stringify(message)}\n`);
  }
}
