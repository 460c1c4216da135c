/**
 * Checks that run over every protocol definition and decoder of the registry: a protocol
 * added to a family's list is checked here without a line of its own. Each has a unique
 * name, an options schema, a one-line summary, a decoder with an example that decodes, a
 * firmware stub and a simulator that exist and whose output decodes through the codec, and
 * a line in docs/devices.md; every decoder takes 10^4 random inputs with only typed errors.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CodecError, toHex } from '../devices/codec.js';
import { deviceKinds, type DecoderDefinition, type ProtocolDefinition } from '../devices/driver.js';
import { encodeQuery } from '../devices/locker/kerong-cu16.js';
import { decoders, findDecoder, protocols } from '../devices/registry.js';
import { isLineScale } from '../devices/scale/line-scale.js';
import { GpsUnitStub } from '../firmware-stubs/gps/gps-unit.js';
import { LockBoardLine } from '../firmware-stubs/locker/lock-board.js';
import { PrinterStub } from '../firmware-stubs/printer/printer.js';
import { encodeEscPos } from '../devices/printer/escpos.js';
import { encodeTspl } from '../devices/printer/tspl.js';
import type { PrintPage } from '../devices/printer/doc.js';
import * as scaleStubs from '../firmware-stubs/scale/index.js';
import { HidPosScannerStub, KeyboardWedgeStub, SerialScannerStub } from '../firmware-stubs/scanner/scanners.js';
import { parseConfig } from '../gateway/config.js';
import { decodeHelp, runDecode } from '../gateway/decode.js';
import { buildDevice } from '../simulators/devices/build.js';
import { parseSimSpec } from '../simulators/devices/spec.js';
import type { SimTransportServer } from '../simulators/devices/remote-server.js';
import { FakeEndpoint } from './simulators/devices/fakes.js';

const NOW = Date.UTC(2025, 4, 6, 8, 0, 0);
/** a load every scale protocol shows exactly (BLE weight resolves 5 g) */
const LOAD = 1235;
const WAYBILL = 'RB123456785GB';

/** a settled platform with LOAD grams on it */
function platform(): scaleStubs.ScalePlatform {
  const p = new scaleStubs.ScalePlatform({ settleMs: 100 });
  p.setLoad(LOAD, NOW - 1000);
  return p;
}

const lineOf = (text: string): string => text.replace(/\r?\n$/, '').replace(/\r$/, '');

/**
 * What each firmware stub sends for a known state, as its decoder takes it (hex or text).
 * A line scale needs no entry: the generic line-scale stub plays it from its definition.
 */
const stubOutput: Record<string, (p: ProtocolDefinition) => string> = {
  MtSicsStub: () => lineOf(new scaleStubs.MtSicsStub(platform()).receive('SI', NOW)[0]!),
  ContinuousScaleStub: () => toHex(new scaleStubs.ContinuousScaleStub(platform()).tick(NOW).subarray(0, -2)),
  HidPosScaleStub: () => toHex(new scaleStubs.HidPosScaleStub(platform()).tick(NOW)),
  BleWeightScaleStub: () => toHex(new scaleStubs.BleWeightScaleStub(platform()).tick(NOW)!),
  LineScaleStub: (p) => (isLineScale(p) ? lineOf(new scaleStubs.LineScaleStub(platform(), p.lineScale).line(NOW)) : ''),
  SerialScannerStub: () => new SerialScannerStub().scan(WAYBILL),
  KeyboardWedgeStub: () => {
    const reports = new KeyboardWedgeStub().scan(WAYBILL);
    return reports instanceof CodecError ? '' : reports.map((r) => toHex(r)).join(', ');
  },
  HidPosScannerStub: () => new HidPosScannerStub().scan(WAYBILL).map((r) => toHex(r, '')).join(''),
  GpsUnitStub: () => new GpsUnitStub({ route: [{ lat: 52.2297, lon: 21.0122 }, { lat: 52.2397, lon: 21.0222 }], speedKmh: 30, startMs: NOW }).tick(NOW + 1000).map(lineOf)[0]!,
  LockBoardLine: () => {
    const query = encodeQuery(1);
    return query instanceof CodecError ? '' : toHex(new LockBoardLine({ boards: [1] }).receive(query, NOW));
  },
  // what the printer printed, as its codec says it again: the page the stub parsed
  PrinterStub: (p) => {
    const language = p.name === 'tspl' ? 'tspl' : 'escpos';
    const encode = (page: PrintPage) => (language === 'tspl' ? encodeTspl(page) : encodeEscPos(page));
    const stub = new PrinterStub(language);
    stub.receive(encode({ items: [{ t: 'barcode', data: WAYBILL, height: 80 }] }), NOW);
    const printed = encode(stub.last!.page);
    return language === 'tspl' ? Buffer.from(printed).toString('latin1') : toHex(printed);
  },
};

/** what a simulator spec of a protocol needs besides its id (a line scale needs nothing) */
const simExtras: Record<string, Record<string, unknown>> = {
  nmea: { route: [{ lat: 52.2297, lon: 21.0122 }] },
};

const docs = readFileSync(new URL('../docs/devices.md', import.meta.url), 'utf8');

describe('every protocol of the registry', () => {
  it('has a unique name, a known kind, transports, a summary and an options schema', () => {
    const names = protocols.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const p of protocols) {
      expect(deviceKinds, p.name).toContain(p.kind);
      expect(p.transports.length, p.name).toBeGreaterThan(0);
      expect(p.summary.length, p.name).toBeGreaterThan(10);
      expect(p.options, p.name).toBeInstanceOf(z.ZodType);
    }
  });

  it.each(protocols.map((p) => [p.name, p] as const))('%s: its decoder decodes its example', async (_name, p) => {
    expect(p.decoder, `${p.name} names no decoder`).toBeDefined();
    expect(findDecoder(p.decoder!.name), `no decoder ${p.decoder!.name}`).toBeDefined();
    const result = await runDecode(p.decoder!.name, p.decoder!.example);
    expect(result.ok, JSON.stringify(result.output)).toBe(true);
  });

  it.each(protocols.map((p) => [p.name, p] as const))('%s: its firmware stub exists and what it sends decodes through the codec', async (_name, p) => {
    const stub = p.playedBy?.stub;
    expect(stub, `${p.name} names no stub`).toBeDefined();
    const play = stubOutput[stub!];
    expect(play, `no firmware stub ${stub}`).toBeDefined();
    const result = await runDecode(p.decoder!.name, play!(p));
    expect(result.ok, JSON.stringify(result.output)).toBe(true);
    const out = JSON.stringify(result.output);
    if (p.kind === 'scale') expect(result.output).toMatchObject({ grams: LOAD, stable: true });
    if (p.kind === 'scanner') expect(out).toContain(WAYBILL);
    if (p.kind === 'gps') expect(result.output).toMatchObject({ lat: expect.closeTo(52.2297, 2) });
    if (p.kind === 'locker') expect(result.output).toMatchObject({ type: 'state', board: 1 });
    if (p.kind === 'printer') expect(result.output).toMatchObject({ pages: [{ items: [{ t: 'barcode', data: WAYBILL }] }] });
  });

  it.each(protocols.map((p) => [p.name, p] as const))('%s: its simulator exists and prints an entry the gateway accepts', (_name, p) => {
    const spec = parseSimSpec({ devices: [{ id: 'dev-1', protocol: p.name, ...simExtras[p.name] }] });
    const remote = { url: 'tcp://127.0.0.1:1' } as SimTransportServer;
    const sim = buildDevice(spec.devices[0]!, {
      ctx: { now: () => NOW },
      kit: 'van-1',
      index: 0,
      serial: (id) => new FakeEndpoint(`/sim/${id}`),
      remote: () => remote,
    });
    expect(sim.constructor.name).toBe(p.playedBy!.simulator);
    expect(sim.protocol).toBe(p.name);
    const entry = sim.gatewayEntry();
    const config = parseConfig({ devices: [{ ...entry, credentials: undefined }] });
    expect(config.devices[0]).toMatchObject({ id: 'dev-1', kind: p.kind, protocol: p.name, transport: { type: p.transports[0] } });
    if (p.transports[0] === 'serial') {
      // the simulator and the gateway agree on the line's default speed
      const { baudRate, ...transport } = entry.transport as { baudRate: number };
      expect(baudRate).toBe(p.serial?.baudRate ?? 9600);
      const defaulted = parseConfig({ devices: [{ ...entry, transport }] }).devices[0];
      expect(defaulted?.transport).toMatchObject({ baudRate });
    }
  });

  it('is described by decode --help: every decoder with its summary, every protocol example', () => {
    const help = decodeHelp();
    for (const d of decoders) expect(help).toContain(`${d.name}`);
    for (const d of decoders) expect(help).toContain(d.summary);
    for (const p of protocols) expect(help, p.name).toContain(`decode ${p.decoder!.name} '${p.decoder!.example}'`);
  });

  it('has a line in docs/devices.md for every protocol', () => {
    for (const p of protocols) expect(docs, p.name).toMatch(new RegExp(`^\\| \`${p.name}\` \\|`, 'm'));
  });
});

/** random input of the kind a decoder takes */
function arbitraryInput(d: DecoderDefinition): fc.Arbitrary<Uint8Array | string> {
  if (d.input === 'hex') return fc.uint8Array({ maxLength: 160 });
  return fc.oneof(fc.string({ maxLength: 120 }), fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b).toString('latin1')));
}

describe('every decoder of the registry', () => {
  it('has a unique name', () => {
    const names = decoders.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
  });

  // a file decoder's input is a path; it is fuzzed with image bytes in its own tests
  it.each(decoders.filter((d) => d.input !== 'file').map((d) => [d.name, d] as const))('%s: 10^4 random inputs give a value or a typed error, never a throw', async (_name, d) => {
    await fc.assert(
      fc.asyncProperty(arbitraryInput(d), async (input) => {
        const out = await d.decode(input);
        if (out instanceof Error) expect(out).toBeInstanceOf(CodecError);
      }),
      { numRuns: 10_000 },
    );
  });
});
