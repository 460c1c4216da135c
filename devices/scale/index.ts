/** The scale family: its protocols (drivers) and its decoders (`courier-gw decode`). */
import { CodecError } from '../codec.js';
import { defineProtocol, type DecoderDefinition, type ProtocolDefinition } from '../driver.js';
import { decodeWeightMeasurement, decodeWeightScaleFeature } from './ble-weight.js';
import { BleWeightDriver } from './ble-weight-driver.js';
import { decodeContinuousLine } from './continuous-scale.js';
import { ContinuousScaleDriver } from './continuous-driver.js';
import { decodeHidPosReport } from './hid-pos-scale.js';
import { HidPosScaleDriver } from './hid-pos-driver.js';
import { decodeMtSicsReply } from './mt-sics.js';
import { MtSicsDriver } from './mt-sics-driver.js';
import { bleOptionsSchema, continuousOptionsSchema, hidOptionsSchema, mtSicsOptionsSchema } from './options.js';

export const mtSicsProtocol = defineProtocol({
  name: 'mt-sics',
  kind: 'scale',
  transports: ['serial'],
  summary: 'Mettler Toledo MT-SICS balance on a serial line: polled with SIR / SI / S, tare and zero commands',
  options: mtSicsOptionsSchema,
  decoder: { name: 'mt-sics', example: 'S S     100.00 g' },
  playedBy: { stub: 'MtSicsStub', simulator: 'MtSicsSim' },
  driver: (ctx, options) => new MtSicsDriver(ctx, options),
});

export const continuousScaleProtocol = defineProtocol({
  name: 'continuous-scale',
  kind: 'scale',
  transports: ['serial'],
  summary: 'continuous-output (CAS-style) serial scale: streams one weight line after another, takes no command',
  options: continuousOptionsSchema,
  decoder: { name: 'continuous-scale', example: '53 54 2C 47 53 2C 31 C4 2C 30 30 30 31 2E 32 33 34 20 6B 67' },
  playedBy: { stub: 'ContinuousScaleStub', simulator: 'ContinuousScaleSim' },
  driver: (ctx, options) => new ContinuousScaleDriver(ctx, options),
});

export const hidPosScaleProtocol = defineProtocol({
  name: 'hid-pos-scale',
  kind: 'scale',
  transports: ['hid'],
  summary: 'USB HID POS shipping scale (usage page 0x8D): 6-byte data reports, zero by output report',
  options: hidOptionsSchema,
  decoder: { name: 'hid-pos-scale', example: '03 04 02 FF E8 03' },
  playedBy: { stub: 'HidPosScaleStub', simulator: 'HidScaleSim' },
  driver: (ctx, options) => new HidPosScaleDriver(ctx, options),
});

export const bleWeightProtocol = defineProtocol({
  name: 'ble-weight',
  kind: 'scale',
  transports: ['ble'],
  summary: 'Bluetooth LE Weight Scale service (181D): Weight Measurement indications, resolution from the feature',
  options: bleOptionsSchema,
  decoder: { name: 'ble-weight', example: '00 86 38' },
  playedBy: { stub: 'BleWeightScaleStub', simulator: 'BleScaleSim' },
  driver: (ctx, options) => new BleWeightDriver(ctx, options),
});

export const protocols: ProtocolDefinition[] = [mtSicsProtocol, continuousScaleProtocol, hidPosScaleProtocol, bleWeightProtocol];

const bytesOf = (input: Uint8Array | string): Uint8Array =>
  typeof input === 'string' ? Uint8Array.from(Buffer.from(input, 'latin1')) : input;

/** Every decoder output has `grams` (null when the frame carries no weight) and `stable`. */
export const decoders: DecoderDefinition[] = [
  {
    name: 'hid-pos-scale',
    summary: 'USB HID POS scale data report (6 bytes, hex)',
    input: 'hex',
    decode(input) {
      const r = decodeHidPosReport(bytesOf(input));
      if (r instanceof CodecError || r.type === 'reading') return r;
      return { ...r, grams: null, stable: false };
    },
  },
  {
    name: 'ble-weight',
    summary: 'BLE Weight Measurement (2A9D) value, hex; a 4-byte Weight Scale Feature (2A9E) when it is not a measurement',
    input: 'hex',
    decode(input) {
      const bytes = bytesOf(input);
      const m = decodeWeightMeasurement(bytes);
      if (!(m instanceof CodecError) || bytes.length !== 4) return m;
      const f = decodeWeightScaleFeature(bytes);
      return f instanceof CodecError ? m : { ...f, grams: null, stable: false };
    },
  },
  {
    name: 'ble-weight-feature',
    summary: 'BLE Weight Scale Feature (2A9E) value, hex',
    input: 'hex',
    example: 'BF 01 00 00',
    decode(input) {
      const f = decodeWeightScaleFeature(bytesOf(input));
      return f instanceof CodecError ? f : { ...f, grams: null, stable: false };
    },
  },
  {
    name: 'mt-sics',
    summary: 'Mettler Toledo MT-SICS reply line ("S S     100.00 g")',
    input: 'line',
    decode(input) {
      const r = decodeMtSicsReply(typeof input === 'string' ? input : Buffer.from(input).toString('latin1'));
      if (r instanceof CodecError || r.type === 'weight') return r;
      // the scale's own error replies are typed errors on the command line (exit 1)
      if (r.type === 'error') return new CodecError('mt-sics', `DEVICE_${r.code}`, `the scale answered ${r.code}: ${r.error} error`, typeof input === 'string' ? input : undefined);
      if (r.type === 'tare' && r.done && r.grams !== undefined) return { ...r, stable: true };
      return { ...r, grams: null, stable: false };
    },
  },
  {
    name: 'continuous-scale',
    summary: 'continuous-output (CAS-style) scale line (a binary lamp byte as \\xC4 in text)',
    input: 'line',
    decode: (input) => decodeContinuousLine(input),
  },
];
