/**
 * USB HID POS scale driver. Finds the scale in node-hid's device list (usage page 0x8D
 * first, then the configured vendor / product id or path, else a known scale's ids),
 * watches the list every `hotplugMs` to notice unplug and plug, discards the first report
 * after opening (it may be stale), and zeroes with output report 02 02.
 */
import { CodecError, toHex } from '../codec.js';
import type { CommandResult, Driver, DriverContext } from '../driver.js';
import type { HidBackend, HidDeviceInfo, HidHandle } from '../transports/types.js';
import { decodeHidPosReport, HID_POS_SCALE_USAGE_PAGE, HID_POS_ZERO_REPORT } from './hid-pos-scale.js';
import type { HidOptions, HidTransportConfig } from './options.js';
import { unavailableReason } from './unavailable.js';
import { WeightOutput } from './weight-output.js';

/** vendor:product ids of common HID POS shipping scales (PROTOCOLS.md §1) */
export const knownHidScales: readonly (readonly [number, number])[] = [
  [0x0922, 0x8003], // Dymo M10
  [0x0922, 0x8004], // Dymo M25
  [0x1446, 0x6a73], // Stamps.com
  [0x2474, 0x0550],
  [0x2474, 0x3550],
  [0x7b7c, 0x0100], // USPS / Elane
  [0x0eb8, 0xf000], // Mettler Toledo PS60
  [0x0b67, 0x555e], // Fairbanks
];

/** The device to open: the configured match, preferring usage page 0x8D; undefined when none is plugged in. */
export function pickHidScale(list: readonly HidDeviceInfo[], match: Pick<HidTransportConfig, 'path' | 'vendorId' | 'productId'>): HidDeviceInfo | undefined {
  const configured = match.path !== undefined || match.vendorId !== undefined || match.productId !== undefined;
  const candidates = list.filter((d) => {
    if (!d.path) return false;
    if (match.path !== undefined) return d.path === match.path;
    if (configured) return (match.vendorId === undefined || d.vendorId === match.vendorId) && (match.productId === undefined || d.productId === match.productId);
    return d.usagePage === HID_POS_SCALE_USAGE_PAGE || knownHidScales.some(([v, p]) => d.vendorId === v && d.productId === p);
  });
  return candidates.find((d) => d.usagePage === HID_POS_SCALE_USAGE_PAGE) ?? candidates[0];
}

export class HidPosScaleDriver implements Driver {
  private backend: HidBackend | undefined;
  private handle: HidHandle | undefined;
  private openPath: string | undefined;
  private skipNext = false;
  private readonly match: HidTransportConfig;
  private readonly output: WeightOutput;
  private watch: ReturnType<typeof setInterval> | undefined;
  private absentReported = false;

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: HidOptions,
  ) {
    this.match = options.transport;
    this.output = new WeightOutput(ctx, options);
  }

  async start(): Promise<void> {
    try {
      this.backend = await this.ctx.transports.hid();
    } catch (error) {
      this.ctx.status('unavailable', { reason: unavailableReason(error) });
      return;
    }
    this.ctx.status('connecting');
    this.scan();
    this.watch = setInterval(() => this.scan(), this.options.hotplugMs);
  }

  async stop(): Promise<void> {
    if (this.watch) clearInterval(this.watch);
    this.watch = undefined;
    this.closeHandle();
    this.output.reset();
  }

  async command(name: string): Promise<CommandResult> {
    if (name !== 'tare' && name !== 'zero') return { ok: false, error: 'NOT_SUPPORTED', message: `hid-pos-scale has no command ${name}` };
    if (!this.handle) return { ok: false, error: 'OFFLINE', message: 'the scale is not plugged in' };
    try {
      this.handle.write([...HID_POS_ZERO_REPORT]);
      return { ok: true, report: toHex(Uint8Array.from(HID_POS_ZERO_REPORT)), message: 'zero-scale report sent (HID POS has no separate tare)' };
    } catch (error) {
      return { ok: false, error: 'WRITE_FAILED', message: error instanceof Error ? error.message : String(error) };
    }
  }

  describe(): Record<string, unknown> {
    return { path: this.openPath ?? null, ...this.output.describe() };
  }

  /** one look at the device list: notice an unplug, or open the scale when it appears */
  private scan(): void {
    if (!this.backend || !this.match) return;
    let list: HidDeviceInfo[];
    try {
      list = this.backend.devices();
    } catch (error) {
      this.ctx.fault('enumerate', error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (this.handle) {
      if (!list.some((d) => d.path === this.openPath)) this.lost('unplugged');
      return;
    }
    const info = pickHidScale(list, this.match);
    if (!info?.path) {
      if (!this.absentReported) this.ctx.status('offline', { reason: 'no matching HID scale plugged in' });
      this.absentReported = true;
      return;
    }
    this.open(info.path, info);
  }

  private open(path: string, info: HidDeviceInfo): void {
    let handle: HidHandle;
    try {
      handle = this.backend!.open(path);
    } catch (error) {
      this.ctx.fault('open', error instanceof Error ? error : new Error(String(error)), { path });
      return;
    }
    this.handle = handle;
    this.openPath = path;
    this.skipNext = true;
    this.absentReported = false;
    handle.on('data', (data: Buffer) => this.onData(data));
    handle.on('error', (error: Error) => {
      this.ctx.fault('transport', error);
      this.lost(error.message);
    });
    this.ctx.status('online', { path, vendorId: info.vendorId, productId: info.productId, product: info.product ?? null });
  }

  private lost(reason: string): void {
    this.closeHandle();
    this.output.reset();
    this.absentReported = true;
    this.ctx.status('offline', { reason });
  }

  private closeHandle(): void {
    const handle = this.handle;
    this.handle = undefined;
    this.openPath = undefined;
    if (!handle) return;
    handle.removeAllListeners();
    handle.on('error', () => undefined);
    try {
      handle.close();
    } catch {
      // already gone with the device
    }
  }

  private onData(data: Buffer): void {
    if (this.skipNext) {
      this.skipNext = false;
      return;
    }
    const report = decodeHidPosReport(data);
    if (report instanceof CodecError) {
      this.ctx.fault('decode', report);
      return;
    }
    if (report.type === 'other-report') {
      this.ctx.log.debug({ reportId: report.reportId }, 'not a scale data report');
      return;
    }
    this.output.push({
      grams: report.grams,
      deviceStable: report.stable,
      status: report.status,
      raw: toHex(data),
      extra: { unit: report.unit },
    });
  }
}
