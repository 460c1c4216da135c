/** The scale decoders of `courier-gw decode`, fed as the CLI feeds them, on every PROTOCOLS.md vector. */
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../devices/codec.js';
import { decoderInput } from '../../../gateway/decode.js';
import { decoders, protocols } from '../../../devices/scale/index.js';
import { findDecoder, findProtocol } from '../../../devices/registry.js';

async function decode(name: string, input: string): Promise<unknown> {
  const d = findDecoder(name);
  if (!d) throw new Error(`no decoder ${name}`);
  const arg = decoderInput(d, input);
  if (arg instanceof CodecError) return arg;
  const out = await d.decode(arg);
  return out instanceof CodecError ? out : JSON.parse(JSON.stringify(out));
}

describe('scale decoders for courier-gw decode', () => {
  const rows: [string, string, { grams: number | null; stable: boolean }][] = [
    ['hid-pos-scale', '03 04 02 00 D2 04', { grams: 1234, stable: true }],
    ['hid-pos-scale', '0304 0BFF 2C01', { grams: 850.5, stable: true }],
    ['hid-pos-scale', '03 02 02 00 00 00', { grams: 0, stable: true }],
    ['hid-pos-scale', '03 03 02 00 F4 01', { grams: 500, stable: false }],
    ['hid-pos-scale', '03 05 02 00 0A 00', { grams: -10, stable: false }],
    ['hid-pos-scale', '03 06 0B FF A0 0F', { grams: 11339.8, stable: false }],
    ['ble-weight', '00 86 38', { grams: 72350, stable: true }],
    ['ble-weight', '02 86 38 E8 07 05 11 09 1E 00', { grams: 72350, stable: true }],
    ['ble-weight', '0E 86 38 E8 07 05 11 09 1E 00 01 EC 00 D6 06', { grams: 72350, stable: true }],
    ['ble-weight', 'BF 01 00 00', { grams: null, stable: false }],
    ['ble-weight-feature', 'BF010000', { grams: null, stable: false }],
    ['mt-sics', 'S S     100.00 g', { grams: 100, stable: true }],
    ['mt-sics', 'S D      99.98 g', { grams: 99.98, stable: false }],
    ['mt-sics', 'S I', { grams: null, stable: false }],
    ['mt-sics', 'S +', { grams: null, stable: false }],
    ['continuous-scale', '53 54 2C 47 53 2C 31 C4 2C 30 30 31 33 2E 35 30 30 20 6B 67 0D 0A', { grams: 13500, stable: true }],
  ];
  it.each(rows)('%s %s', async (name, input, expected) => {
    expect(await decode(name, input)).toMatchObject(expected);
  });

  it('keeps the typed fields next to grams and stable', async () => {
    expect(await decode('ble-weight', 'BF 01 00 00')).toMatchObject({ type: 'feature', resolutionGrams: 5 });
    expect(await decode('mt-sics', 'ES')).toMatchObject({ name: 'CodecError', code: 'DEVICE_ES', protocol: 'mt-sics' });
    expect(await decode('mt-sics', 'T S     100.00 g')).toMatchObject({ type: 'tare', grams: 100, stable: true });
    expect(await decode('hid-pos-scale', '02 02')).toEqual({ type: 'other-report', reportId: 2, grams: null, stable: false });
    expect(await decode('continuous-scale', '53 54 2C 47 53 2C 31 C4 2C 30 30 31 33 2E 35 30 30 20 6B 67 0D 0A')).toMatchObject({ lamp: 0xc4, mode: 'gross' });
  });

  it('returns typed errors for bad input', async () => {
    expect(await decode('hid-pos-scale', '03 04 02')).toMatchObject({ code: 'WRONG_LENGTH', protocol: 'hid-pos-scale' });
    expect(await decode('ble-weight', '02 86 38')).toMatchObject({ code: 'WRONG_LENGTH', protocol: 'ble-weight' });
    expect(await decode('mt-sics', 'S S 1 t')).toMatchObject({ code: 'UNKNOWN_UNIT', protocol: 'mt-sics' });
    expect(await decode('continuous-scale', 'zz')).toMatchObject({ name: 'CodecError', protocol: 'continuous-scale' });
    expect(await decode('continuous-scale', '53 54 2C 4')).toMatchObject({ name: 'CodecError', protocol: 'continuous-scale' });
  });

  it('registers four scale protocols with their transports and option schemas, and a decoder for each', () => {
    expect(protocols.map((p) => [p.name, p.kind, p.transports])).toEqual([
      ['mt-sics', 'scale', ['serial']],
      ['continuous-scale', 'scale', ['serial']],
      ['hid-pos-scale', 'scale', ['hid']],
      ['ble-weight', 'scale', ['ble']],
    ]);
    for (const p of protocols) {
      expect(findProtocol(p.name)).toBe(p);
      expect(decoders.some((d) => d.name === p.name)).toBe(true);
      const type = p.transports[0];
      const transport = type === 'serial' ? { type, path: '/dev/ttyUSB0' } : { type };
      const parsed = p.options.safeParse({ id: 'x', transport, stability: { holdMs: 300 } });
      expect(parsed.success).toBe(true);
      expect(parsed.data).toMatchObject({ emit: 'change', stability: { bandGrams: 2, holdMs: 300 } });
      expect(p.options.safeParse({ transport, stability: { bandGrams: -1 } }).success).toBe(false);
    }
  });
});
