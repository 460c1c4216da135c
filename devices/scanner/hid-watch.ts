/**
 * Finds a HID scanner among the attached devices, opens it, and finds it again after it
 * is unplugged: polls backend.devices() (node-hid has no hot-plug events). Never throws
 * out of start(): a missing HID library is reported as status 'unavailable'.
 */
import type { DriverContext } from '../driver.js';
import { TransportUnavailableError, type HidBackend, type HidDeviceInfo, type HidHandle, type HidMatch } from '../transports/types.js';

export function matches(info: HidDeviceInfo, m: HidMatch): boolean {
  if (m.path !== undefined) return info.path === m.path;
  if (m.vendorId !== undefined && info.vendorId !== m.vendorId) return false;
  if (m.productId !== undefined && info.productId !== m.productId) return false;
  if (m.usagePage !== undefined && info.usagePage !== m.usagePage) return false;
  return true;
}

export interface HidWatchOptions {
  match: HidMatch;
  /** how often to look for the device while it is not open (and check it is still there); ms */
  pollMs: number;
  onData(data: Buffer): void;
}

export class HidWatch {
  private backend: HidBackend | undefined;
  private handle: HidHandle | undefined;
  private path: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastState: string | undefined;
  private stopped = false;

  constructor(private readonly ctx: DriverContext, private readonly options: HidWatchOptions) {}

  get isOpen(): boolean {
    return this.handle !== undefined;
  }

  async start(): Promise<void> {
    this.stopped = false;
    try {
      this.backend = await this.ctx.transports.hid();
    } catch (e) {
      const reason = e instanceof TransportUnavailableError ? e.reason : e instanceof Error ? e.message : String(e);
      this.ctx.status('unavailable', { reason });
      return;
    }
    if (this.stopped) return;
    this.setStatus('connecting', {});
    this.poll();
    this.timer = setInterval(() => this.poll(), this.options.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.closeHandle();
  }

  /** One look at the attached devices: open ours, or notice it is gone. */
  poll(): void {
    const backend = this.backend;
    if (!backend || this.stopped) return;
    let list: HidDeviceInfo[];
    try {
      list = backend.devices();
    } catch (e) {
      this.ctx.fault('hid-list', e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (this.handle) {
      if (!list.some((d) => d.path === this.path)) this.lost(new Error('device unplugged'));
      return;
    }
    const found = list.find((d) => d.path !== undefined && matches(d, this.options.match));
    if (!found?.path) {
      this.setStatus('offline', { reason: 'not-found' });
      return;
    }
    try {
      const handle = backend.open(found.path);
      handle.on('data', (data: Buffer) => this.options.onData(data));
      handle.on('error', (e: Error) => this.lost(e));
      this.handle = handle;
      this.path = found.path;
      this.setStatus('online', { path: found.path, product: found.product });
    } catch (e) {
      this.ctx.fault('hid-open', e instanceof Error ? e : new Error(String(e)), { path: found.path });
      this.setStatus('offline', { reason: 'open-failed' });
    }
  }

  private lost(e: Error): void {
    if (!this.handle) return;
    this.closeHandle();
    this.ctx.log.warn({ err: e.message }, 'HID device lost');
    this.setStatus('offline', { reason: e.message });
  }

  private closeHandle(): void {
    const handle = this.handle;
    this.handle = undefined;
    this.path = undefined;
    if (!handle) return;
    handle.removeAllListeners('data');
    handle.on('error', () => undefined);
    try {
      handle.close();
    } catch {
      // already gone
    }
  }

  /** Status changes only (a poll every few seconds repeats 'offline'). */
  private setStatus(state: 'online' | 'offline' | 'connecting', detail: Record<string, unknown>): void {
    const key = `${state}:${JSON.stringify(detail)}`;
    if (key === this.lastState) return;
    this.lastState = key;
    this.ctx.status(state, detail);
  }
}
