/**
 * BLE Weight Scale driver: waits for the adapter to be powered on, scans for service 181D
 * (or the configured address), connects, reads the Weight Scale Feature (the scale's
 * resolution) and subscribes to Weight Measurement indications. Scans again after a
 * disconnect or a failed connect with the serial links' backoff and jitter: the first wait
 * up to `reconnectMs`, each further one up to twice as long, at most `reconnectMaxMs`.
 * Never throws.
 */
import { CodecError, toHex } from '../codec.js';
import type { CommandResult, Driver, DriverContext } from '../driver.js';
import type { BleBackend, BleCharacteristic, BlePeripheral } from '../transports/types.js';
import {
  decodeWeightMeasurement,
  decodeWeightScaleFeature,
  WEIGHT_MEASUREMENT_CHARACTERISTIC,
  WEIGHT_SCALE_FEATURE_CHARACTERISTIC,
  WEIGHT_SCALE_SERVICE,
} from './ble-weight.js';
import { backoffDelay } from '../../core/backoff.js';
import type { BleOptions } from './options.js';
import { unavailableReason } from './unavailable.js';
import { statusFor, WeightOutput } from './weight-output.js';

/** '2a9d', '2A9D' and '00002a9d-0000-1000-8000-00805f9b34fb' are the same 16-bit uuid */
export function sameUuid(uuid: string, short: string): boolean {
  const u = uuid.toLowerCase().replace(/-/g, '');
  return u === short || (u.length === 32 && u.startsWith(`0000${short}`) && u.endsWith('00001000800000805f9b34fb'));
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

export class BleWeightDriver implements Driver {
  private backend: BleBackend | undefined;
  private readonly address: string | undefined;
  private readonly output: WeightOutput;
  /** failed or lost connections since the scale was last online */
  private attempt = 0;
  private peripheral: BlePeripheral | undefined;
  private measurement: BleCharacteristic | undefined;
  private scanning = false;
  private stopped = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private readonly onState = (state: string) => this.stateChanged(state);
  private readonly onDiscover = (p: BlePeripheral) => void this.discovered(p);

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: BleOptions,
  ) {
    this.address = options.transport.address?.toLowerCase();
    this.output = new WeightOutput(ctx, options);
  }

  async start(): Promise<void> {
    try {
      this.backend = await this.ctx.transports.ble();
    } catch (error) {
      this.ctx.status('unavailable', { reason: unavailableReason(error) });
      return;
    }
    this.backend.on('stateChange', this.onState);
    this.backend.on('discover', this.onDiscover);
    this.stateChanged(this.backend.state);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.backend?.off('stateChange', this.onState);
    this.backend?.off('discover', this.onDiscover);
    if (this.scanning) await this.backend?.stopScanningAsync().catch(() => undefined);
    this.scanning = false;
    const p = this.peripheral;
    this.dropPeripheral();
    if (p) await p.disconnectAsync().catch(() => undefined);
    this.output.reset();
  }

  async command(name: string): Promise<CommandResult> {
    return { ok: false, error: 'NOT_SUPPORTED', message: `the BLE Weight Scale service has no command ${name}` };
  }

  describe(): Record<string, unknown> {
    return { peripheral: this.peripheral?.address ?? null, scanning: this.scanning, ...this.output.describe() };
  }

  private stateChanged(state: string): void {
    if (this.stopped) return;
    if (state === 'poweredOn') {
      if (!this.peripheral) void this.scan();
      return;
    }
    this.scanning = false;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    // the adapter going down ends any connection; scan again when it is back on
    this.dropPeripheral();
    this.output.reset();
    if (state === 'unsupported' || state === 'unauthorized') this.ctx.status('unavailable', { reason: `bluetooth ${state}` });
    else this.ctx.status('offline', { reason: `bluetooth ${state}` });
  }

  private async scan(): Promise<void> {
    if (this.stopped || this.scanning || this.peripheral || this.backend?.state !== 'poweredOn') return;
    this.scanning = true;
    this.ctx.status('connecting', { scanning: this.address ?? WEIGHT_SCALE_SERVICE });
    try {
      await this.backend.startScanningAsync(this.address ? [] : [WEIGHT_SCALE_SERVICE], false);
    } catch (error) {
      this.scanning = false;
      this.ctx.fault('scan', asError(error));
      this.scheduleRetry();
    }
  }

  private matches(p: BlePeripheral): boolean {
    if (this.address) return p.address.toLowerCase() === this.address || p.id.toLowerCase() === this.address.replace(/:/g, '');
    return (p.advertisement.serviceUuids ?? []).some((u) => sameUuid(u, WEIGHT_SCALE_SERVICE));
  }

  private async discovered(p: BlePeripheral): Promise<void> {
    if (this.stopped || !this.scanning || this.peripheral || !this.matches(p)) return;
    this.scanning = false;
    this.peripheral = p;
    await this.backend?.stopScanningAsync().catch((error: unknown) => this.ctx.fault('scan', asError(error)));
    try {
      await p.connectAsync();
      p.once('disconnect', () => this.disconnected(p));
      const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync(
        [WEIGHT_SCALE_SERVICE],
        [WEIGHT_MEASUREMENT_CHARACTERISTIC, WEIGHT_SCALE_FEATURE_CHARACTERISTIC],
      );
      const measurement = characteristics.find((c) => sameUuid(c.uuid, WEIGHT_MEASUREMENT_CHARACTERISTIC));
      if (!measurement) throw new Error('no Weight Measurement characteristic (2a9d)');
      const feature = characteristics.find((c) => sameUuid(c.uuid, WEIGHT_SCALE_FEATURE_CHARACTERISTIC));
      if (feature) await this.readFeature(feature);
      if (this.peripheral !== p) return;
      this.measurement = measurement;
      measurement.on('data', (data: Buffer) => this.onMeasurement(data));
      await measurement.subscribeAsync();
      if (this.peripheral !== p) return;
      this.attempt = 0;
      this.ctx.status('online', { address: p.address, name: p.advertisement.localName ?? null });
    } catch (error) {
      this.ctx.fault('connect', asError(error), { address: p.address });
      if (this.peripheral !== p) return;
      this.dropPeripheral();
      await p.disconnectAsync().catch(() => undefined);
      this.ctx.status('offline', { reason: asError(error).message });
      this.scheduleRetry();
    }
  }

  private async readFeature(feature: BleCharacteristic): Promise<void> {
    const value = await feature.readAsync();
    const decoded = decodeWeightScaleFeature(value);
    if (decoded instanceof CodecError) this.ctx.fault('decode', decoded);
    else if (decoded.resolutionGrams !== null) this.output.tracker.setResolution(decoded.resolutionGrams);
  }

  private disconnected(p: BlePeripheral): void {
    if (this.peripheral !== p || this.stopped) return;
    this.dropPeripheral();
    this.output.reset();
    this.ctx.status('offline', { reason: 'disconnected', address: p.address });
    this.scheduleRetry();
  }

  private dropPeripheral(): void {
    this.measurement?.removeAllListeners('data');
    this.measurement = undefined;
    this.peripheral?.removeAllListeners('disconnect');
    this.peripheral = undefined;
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.scan();
    }, backoffDelay(this.attempt++, this.options.reconnectMs, this.options.reconnectMaxMs));
  }

  private onMeasurement(data: Buffer): void {
    const m = decodeWeightMeasurement(data);
    if (m instanceof CodecError) {
      this.ctx.fault('decode', m);
      return;
    }
    if (m.grams === null) {
      this.output.noWeight('unsuccessful');
      return;
    }
    const extra: Record<string, unknown> = { unit: m.unit };
    if (m.userId !== undefined) extra.userId = m.userId;
    if (m.measuredAt) extra.measuredAt = m.measuredAt;
    if (m.bmi !== undefined) Object.assign(extra, { bmi: m.bmi, height: m.height, heightUnit: m.heightUnit });
    this.output.push({ grams: m.grams, deviceStable: true, status: statusFor(m.grams, true), raw: toHex(data), extra });
  }
}
