/**
 * HID devices on the simulator transport: a HID POS scale (a data report every tick), a
 * keyboard-wedge scanner and a HID POS scanner (reports for each scan). Unplugged, the
 * device leaves the HID list and its open handles fail, as node-hid reports it.
 */
import { CodecError } from '../../devices/codec.js';
import { HID_POS_SCALE_USAGE_PAGE } from '../../devices/scale/hid-pos-scale.js';
import { HID_POS_USAGE_PAGE } from '../../devices/scanner/hid-pos.js';
import type { ScalePlatform } from '../../firmware-stubs/scale/platform.js';
import { HidPosScaleStub, type HidPosStubOptions as HidScaleStubOptions } from '../../firmware-stubs/scale/hid-pos-stub.js';
import { HidPosScannerStub, KeyboardWedgeStub, type HidPosStubOptions, type KeyboardWedgeStubOptions } from '../../firmware-stubs/scanner/scanners.js';
import type { DeviceKind } from '../../devices/driver.js';
import type { SimTransportServer } from './remote-server.js';
import { platformState, scaleActions } from './scale-actions.js';
import { action, garbageArgs, garbageBytes, noArgs, scanArgs, type ControlResult, type GatewayDeviceEntry, type SimAction, type SimContext, type SimDevice } from './sim-device.js';

export type HidHost = Pick<SimTransportServer, 'addHid' | 'setHidPresent' | 'hidReport'>;

export interface HidSimIdentity {
  id: string;
  kit: string;
  vendorId?: number;
  productId?: number;
  product?: string;
  gateway: Record<string, unknown>;
}

/** the HID path of a simulated device, as the gateway config names it */
export const simHidPath = (id: string): string => `sim:${id}`;

abstract class HidSim implements SimDevice {
  abstract readonly kind: DeviceKind;
  abstract readonly protocol: string;
  readonly id: string;
  readonly path: string;
  protected plugged = true;
  protected muted = false;
  protected reportsSent = 0;
  private garbageSent = 0;

  constructor(
    protected readonly identity: HidSimIdentity,
    protected readonly host: HidHost,
    protected readonly ctx: SimContext,
    private readonly defaults: { vendorId: number; productId: number; usagePage: number; usage: number; product: string },
  ) {
    this.id = identity.id;
    this.path = simHidPath(identity.id);
  }

  protected abstract ownActions(): Record<string, SimAction>;
  protected abstract state(): Record<string, unknown>;
  abstract tick(nowMs: number): void;

  /** an output report from the gateway */
  protected onWrite(_bytes: Uint8Array): void {}

  /** noise shaped as this device's report (so it is a bad report, not another report to ignore) */
  protected asReport(noise: Uint8Array): Uint8Array {
    return noise;
  }

  get actions(): Readonly<Record<string, SimAction>> {
    return {
      unplug: action('pull the USB cable: the device leaves the HID list', noArgs, () => this.setPlugged(false)),
      replug: action('plug it back in', noArgs, () => this.setPlugged(true)),
      garbage: action('send a report the codec cannot decode (hex, or count bytes of noise)', garbageArgs, (args) => {
        const noise = garbageBytes(args, ++this.garbageSent);
        const bytes = args.hex ? noise : this.asReport(noise);
        return { ok: true, bytes: bytes.length, delivered: this.host.hidReport(this.path, bytes) };
      }),
      mute: action('the device stops sending reports (still plugged in)', noArgs, () => ((this.muted = true), { ok: true, muted: true })),
      unmute: action('the device sends again', noArgs, () => ((this.muted = false), { ok: true, muted: false })),
      ...this.ownActions(),
    };
  }

  gatewayEntry(): GatewayDeviceEntry {
    const { id, kit, gateway } = this.identity;
    return { id, kind: this.kind, kit, protocol: this.protocol, transport: { type: 'hid', path: this.path }, ...this.entryOptions(), ...gateway };
  }

  /** protocol options the gateway needs to read this device */
  protected entryOptions(): Record<string, unknown> {
    return {};
  }

  async start(): Promise<void> {
    const d = this.defaults;
    this.host.addHid(
      {
        info: {
          path: this.path,
          vendorId: this.identity.vendorId ?? d.vendorId,
          productId: this.identity.productId ?? d.productId,
          usagePage: d.usagePage,
          usage: d.usage,
          product: this.identity.product ?? d.product,
          manufacturer: 'courier-gw simulator',
          serialNumber: this.id,
        },
        write: (bytes) => this.onWrite(bytes),
      },
      this.plugged,
    );
  }

  async stop(): Promise<void> {
    this.host.setHidPresent(this.path, false);
  }

  describe(): Record<string, unknown> {
    return { path: this.path, plugged: this.plugged, muted: this.muted, reportsSent: this.reportsSent, garbageSent: this.garbageSent, ...this.state() };
  }

  protected report(bytes: Uint8Array): void {
    if (!this.plugged || this.muted) return;
    this.host.hidReport(this.path, bytes);
    this.reportsSent++;
  }

  protected scanResult(code: string, symbology: string, reports: Uint8Array[] | CodecError): ControlResult {
    if (reports instanceof CodecError) return { ok: false, error: 'FAILED', message: reports.message };
    if (!this.plugged || this.muted) return { ok: false, error: 'FAILED', message: `${this.id} is ${this.muted ? 'muted' : 'unplugged'}` };
    for (const r of reports) this.report(r);
    return { ok: true, code, symbology, reports: reports.length };
  }

  private setPlugged(plugged: boolean): ControlResult {
    this.plugged = plugged;
    this.host.setHidPresent(this.path, plugged);
    return { ok: true, plugged };
  }
}

/** A USB HID POS shipping scale (a Dymo M10 by default). */
export class HidScaleSim extends HidSim {
  readonly kind = 'scale' as const;
  readonly protocol = 'hid-pos-scale';
  readonly stub: HidPosScaleStub;
  private zeroReports = 0;

  constructor(identity: HidSimIdentity, host: HidHost, ctx: SimContext, readonly platform: ScalePlatform, options: HidScaleStubOptions = {}) {
    super(identity, host, ctx, { vendorId: 0x0922, productId: 0x8003, usagePage: HID_POS_SCALE_USAGE_PAGE, usage: 0x20, product: 'Simulated HID POS scale' });
    this.stub = new HidPosScaleStub(platform, options);
  }

  tick(nowMs: number): void {
    if (this.plugged && !this.muted) this.report(this.stub.tick(nowMs));
  }

  protected override onWrite(bytes: Uint8Array): void {
    if (this.stub.write([...bytes], this.ctx.now())) this.zeroReports++;
  }

  /** a data report id (3) with the wrong length */
  protected override asReport(noise: Uint8Array): Uint8Array {
    return Uint8Array.from([0x03, ...noise]);
  }

  protected ownActions(): Record<string, SimAction> {
    return scaleActions(this.platform, this.ctx);
  }

  protected state(): Record<string, unknown> {
    return { ...platformState(this.platform, this.ctx.now()), zeroReports: this.zeroReports };
  }
}

/** A scanner in keyboard mode, read by the gateway as a HID device of its own. */
export class KeyboardWedgeSim extends HidSim {
  readonly kind = 'scanner' as const;
  readonly protocol = 'hid-keyboard';
  private readonly stub: KeyboardWedgeStub;
  private scans = 0;

  constructor(identity: HidSimIdentity, host: HidHost, ctx: SimContext, private readonly options: KeyboardWedgeStubOptions = {}) {
    super(identity, host, ctx, { vendorId: 0x0c2e, productId: 0x0b61, usagePage: 0x01, usage: 0x06, product: 'Simulated keyboard-wedge scanner' });
    this.stub = new KeyboardWedgeStub(options);
  }

  protected override entryOptions(): Record<string, unknown> {
    return { terminators: [this.options.terminator ?? 'enter'], aim: this.options.sendAim ?? false };
  }

  tick(): void {}

  protected ownActions(): Record<string, SimAction> {
    return {
      scan: action('read a barcode: { code, symbology }', scanArgs, ({ code, symbology }) => {
        const r = this.scanResult(code, symbology, this.stub.scan(code, symbology));
        if (r.ok) this.scans++;
        return r;
      }),
    };
  }

  protected state(): Record<string, unknown> {
    return { scans: this.scans };
  }
}

/** A scanner in HID POS mode (usage page 0x8C): 64-byte reports with the AIM id. */
export class HidPosScannerSim extends HidSim {
  readonly kind = 'scanner' as const;
  readonly protocol = 'hid-pos-scanner';
  private readonly stub: HidPosScannerStub;
  private scans = 0;

  constructor(identity: HidSimIdentity, host: HidHost, ctx: SimContext, options: HidPosStubOptions = {}) {
    super(identity, host, ctx, { vendorId: 0x0c2e, productId: 0x0b87, usagePage: HID_POS_USAGE_PAGE, usage: 0x02, product: 'Simulated HID POS scanner' });
    this.stub = new HidPosScannerStub(options);
  }

  tick(): void {}

  protected ownActions(): Record<string, SimAction> {
    return {
      scan: action('read a barcode: { code, symbology }', scanArgs, ({ code, symbology }) => {
        const r = this.scanResult(code, symbology, this.stub.scan(code, symbology));
        if (r.ok) this.scans++;
        return r;
      }),
    };
  }

  protected state(): Record<string, unknown> {
    return { scans: this.scans };
  }
}

