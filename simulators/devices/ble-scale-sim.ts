/**
 * A BLE weight scale on the simulator transport: advertises the Weight Scale service
 * (181D), serves the Weight Scale Feature (2A9E) and indicates a Weight Measurement
 * (2A9D) each time a new load has settled. A new subscriber gets the current stable
 * weight again. disconnect drops the link (the gateway reconnects); unplug also stops
 * advertising (switched off, out of range) until replug.
 */
import { WEIGHT_MEASUREMENT_CHARACTERISTIC, WEIGHT_SCALE_FEATURE_CHARACTERISTIC, WEIGHT_SCALE_SERVICE } from '../../devices/scale/ble-weight.js';
import { BleWeightScaleStub, type BleWeightStubOptions } from '../../firmware-stubs/scale/ble-weight-stub.js';
import type { ScalePlatform } from '../../firmware-stubs/scale/platform.js';
import type { SimTransportServer } from './remote-server.js';
import { platformState, scaleActions } from './scale-actions.js';
import { action, garbageArgs, garbageBytes, noArgs, type GatewayDeviceEntry, type SimAction, type SimContext, type SimDevice } from './sim-device.js';

export type BleHost = Pick<SimTransportServer, 'addBle' | 'setBleAdvertising' | 'bleDisconnect' | 'bleNotify' | 'bleSubscribers'>;

export interface BleSimIdentity {
  id: string;
  kit: string;
  address: string;
  localName?: string;
  gateway: Record<string, unknown>;
}

export class BleScaleSim implements SimDevice {
  readonly kind = 'scale' as const;
  readonly protocol = 'ble-weight';
  readonly id: string;
  /** the noble-style peripheral id: the address without colons */
  readonly peripheralId: string;
  private stub: BleWeightScaleStub;
  private advertising = true;
  private muted = false;
  private measurementsSent = 0;
  private disconnects = 0;
  private garbageSent = 0;

  constructor(
    private readonly identity: BleSimIdentity,
    private readonly host: BleHost,
    private readonly ctx: SimContext,
    readonly platform: ScalePlatform,
    private readonly options: BleWeightStubOptions = {},
  ) {
    this.id = identity.id;
    this.peripheralId = identity.address.toLowerCase().replace(/:/g, '');
    this.stub = new BleWeightScaleStub(platform, options);
  }

  gatewayEntry(): GatewayDeviceEntry {
    const { id, kit, address, gateway } = this.identity;
    return { id, kind: this.kind, kit, protocol: this.protocol, transport: { type: 'ble', address: address.toLowerCase() }, ...gateway };
  }

  async start(): Promise<void> {
    this.host.addBle(
      {
        info: { id: this.peripheralId, address: this.identity.address.toLowerCase(), localName: this.identity.localName ?? `Sim Scale ${this.id}`, serviceUuids: [WEIGHT_SCALE_SERVICE] },
        characteristics: [WEIGHT_MEASUREMENT_CHARACTERISTIC, WEIGHT_SCALE_FEATURE_CHARACTERISTIC],
        read: (uuid) => (uuid === WEIGHT_SCALE_FEATURE_CHARACTERISTIC ? this.stub.feature() : undefined),
        subscribed: (uuid) => {
          // a new subscriber hears the weight on the platform now, not only the next one
          if (uuid === WEIGHT_MEASUREMENT_CHARACTERISTIC) this.stub = new BleWeightScaleStub(this.platform, this.options);
        },
      },
      this.advertising,
    );
  }

  async stop(): Promise<void> {
    this.host.bleDisconnect(this.peripheralId);
    this.host.setBleAdvertising(this.peripheralId, false);
  }

  tick(nowMs: number): void {
    if (this.muted || this.host.bleSubscribers(this.peripheralId, WEIGHT_MEASUREMENT_CHARACTERISTIC) === 0) return;
    const value = this.stub.tick(nowMs);
    if (!value) return;
    this.host.bleNotify(this.peripheralId, WEIGHT_MEASUREMENT_CHARACTERISTIC, value);
    this.measurementsSent++;
  }

  get actions(): Readonly<Record<string, SimAction>> {
    return {
      ...scaleActions(this.platform, this.ctx),
      disconnect: action('drop the BLE link (the scale keeps advertising; the gateway reconnects)', noArgs, () => {
        this.disconnects++;
        return { ok: true, disconnected: this.host.bleDisconnect(this.peripheralId) };
      }),
      unplug: action('switch the scale off: disconnect and stop advertising', noArgs, () => {
        this.advertising = false;
        this.host.setBleAdvertising(this.peripheralId, false);
        this.disconnects++;
        this.host.bleDisconnect(this.peripheralId);
        return { ok: true, advertising: false };
      }),
      replug: action('switch it on again: advertise', noArgs, () => {
        this.advertising = true;
        this.host.setBleAdvertising(this.peripheralId, true);
        return { ok: true, advertising: true };
      }),
      garbage: action('indicate a Weight Measurement value the codec cannot decode (hex, else 2 bytes: too short)', garbageArgs, (args) => {
        const bytes = garbageBytes({ ...args, count: 2 }, ++this.garbageSent);
        return { ok: true, bytes: bytes.length, delivered: this.host.bleNotify(this.peripheralId, WEIGHT_MEASUREMENT_CHARACTERISTIC, bytes) };
      }),
      mute: action('the scale stops indicating (still connected)', noArgs, () => ((this.muted = true), { ok: true, muted: true })),
      unmute: action('the scale indicates again', noArgs, () => ((this.muted = false), { ok: true, muted: false })),
    };
  }

  describe(): Record<string, unknown> {
    return {
      address: this.identity.address.toLowerCase(),
      advertising: this.advertising,
      subscribers: this.host.bleSubscribers(this.peripheralId, WEIGHT_MEASUREMENT_CHARACTERISTIC),
      muted: this.muted,
      measurementsSent: this.measurementsSent,
      disconnects: this.disconnects,
      garbageSent: this.garbageSent,
      ...platformState(this.platform, this.ctx.now()),
    };
  }
}
