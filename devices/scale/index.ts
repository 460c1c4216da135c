/** The scale family: its protocols (drivers) and its decoders (`courier-gw decode`). */
import { CodecError } from '../codec.js';
import type { DecoderDefinition, ProtocolDefinition } from '../driver.js';
import { decodeWeightMeasurement, decodeWeightScaleFeature } from './ble-weight.js';
import { BleWeightDriver } from './ble-weight-driver.js';
import { decodeContinuousLine } from './continuous-scale.js';
import { ContinuousScaleDriver } from './continuous-driver.js';
import { decodeHidPosReport } from './hid-pos-scale.js';
import { HidPosScaleDriver } from './hid-pos-driver.js';
import { decodeMtSicsReply } from './mt-sics.js';
import { MtSicsDriver } from './mt-sics-driver.js';
import { bleOptionsSchema, continuousOptionsSchema, hidOptionsSchema, mtSicsOptionsSchema } from './options.js';

export const mtSicsProtocol: ProtocolDefinition = {
  name: 'mt-sics',
  kind: 'scale',
  transports: ['serial'],
  options: mtSicsOptionsSchema,
  createDriver: (ctx) => new MtSicsDriver(ctx),
};

export const continuousScaleProtocol: ProtocolDefinition = {
  name: 'continuous-scale',
  kind: 'scale',
  transports: ['serial'],
  options: continuousOptionsSchema,
  createDriver: (ctx) => new ContinuousScaleDriver(ctx),
};

export const hidPosScaleProtocol: ProtocolDefinition = {
  name: 'hid-pos-scale',
  kind: 'scale',
  transports: ['hid'],
  options: hidOptionsSchema,
  createDriver: (ctx) => new HidPosScaleDriver(ctx),
};

export const bleWeightProtocol: ProtocolDefinition = {
  name: 'ble-weight',
  kind: 'scale',
  transports: ['ble'],
  options: bleOptionsSchema,
  createDriver: (ctx) => new BleWeightDriver(ctx),
};

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
    decode(input) {
      const f = decodeWeightScaleFeature(bytesOf(input));
      return f instanceof CodecError ? f : { ...f, grams: null, stable: false };
    },
  },
  {
    name: 'mt-sics',
    summary: 'Mettler Toledo MT-SICS reply line, text ("S S     100.00 g")',
    input: 'text',
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
    summary: 'continuous-output (CAS-style) scale line, hex (the lamp byte is binary)',
    input: 'hex',
    decode: (input) => decodeContinuousLine(input),
  },
];
