/**
 * A serial scale protocol added the way docs/devices.md says: one definition
 * (defineLineScale) and one line in a protocol list. The throw-away "acme-w" scale below is
 * the walk-through's worked example; everything else — config, driver, decode, stub,
 * simulator — comes from that one definition.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CodecError } from '../../../devices/codec.js';
import type { DeviceConfig } from '../../../devices/driver.js';
import { checkEventPayload } from '../../../devices/events.js';
import { createRegistry, decoders, protocols } from '../../../devices/registry.js';
import { defineLineScale, type LineScaleReading } from '../../../devices/scale/line-scale.js';
import { LineScaleStub } from '../../../firmware-stubs/scale/line-scale-stub.js';
import { ScalePlatform } from '../../../firmware-stubs/scale/platform.js';
import { parseConfig } from '../../../gateway/config.js';
import { runDecode } from '../../../gateway/decode.js';
import { startSimulators } from '../../../simulators/devices/index.js';
import { fakeEndpoints } from '../../simulators/devices/fakes.js';
import { fakeContext, FakeSerialLink } from './fakes.js';

// ---- the worked example of docs/devices.md: devices/scale/acme-w.ts ----
const LINE = /^(ST|US),([+-])(\d{5}\.\d) g$/;

const acmeW = defineLineScale({
  name: 'acme-w',
  summary: 'ACME W-series counter scale: streams "ST,+00123.4 g" lines, OL on overload',
  example: 'ST,+00123.4 g',
  serial: { baudRate: 4800 },
  decode(line): LineScaleReading | CodecError {
    if (line === 'OL') return { grams: null, stable: false, condition: 'overload' };
    const m = LINE.exec(line);
    if (!m) return new CodecError('acme-w', 'BAD_LINE', 'expected ST|US,±nnnnn.n g or OL', line);
    const grams = Number(m[3]) * (m[2] === '-' ? -1 : 1);
    return { grams, stable: m[1] === 'ST' };
  },
  encode(reading) {
    if (reading.grams === null) return 'OL';
    const sign = reading.grams < 0 ? '-' : '+';
    return `${reading.stable ? 'ST' : 'US'},${sign}${Math.abs(reading.grams).toFixed(1).padStart(7, '0')} g`;
  },
});
// ---- end of the worked example ----

/** the registry with the one added line */
const registry = createRegistry([...protocols, acmeW], decoders);

const entry = { id: 'counter-1', kind: 'scale', kit: 'van-1', protocol: 'acme-w', transport: { type: 'serial', path: '/dev/ttyUSB3' } };

describe('a serial scale protocol added through its definition (acme-w)', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('is the worked example of docs/devices.md, to the letter', () => {
    const between = (text: string): string => {
      const from = text.indexOf('const LINE = ');
      return text.slice(from, text.indexOf('\n});\n', from) + 4).replace(/^export /gm, '');
    };
    const docs = readFileSync(new URL('../../../docs/devices.md', import.meta.url), 'utf8');
    const self = readFileSync(new URL(import.meta.url), 'utf8');
    expect(between(docs)).toBe(between(self));
    expect(between(self)).toContain("name: 'acme-w'");
  });

  it('is a config protocol with its own 4800 baud default, and its options are checked with the device path', () => {
    const config = parseConfig({ devices: [entry] }, { findProtocol: registry.findProtocol });
    expect(config.devices[0]).toMatchObject({ transport: { baudRate: 4800, dataBits: 8, parity: 'none' }, emit: 'change' });
    expect(() => parseConfig({ devices: [{ ...entry, stability: { bandGrams: -1 } }] }, { findProtocol: registry.findProtocol })).toThrow(
      /devices\[0\]\.stability\.bandGrams/,
    );
    // the shipped registry does not know it
    expect(() => parseConfig({ devices: [entry] })).toThrow(/unknown protocol "acme-w"/);
  });

  it('decodes on the command line, its example included, and a bad line is a typed error', async () => {
    expect(await runDecode('acme-w', acmeW.decoder!.example, registry)).toEqual({ ok: true, output: { grams: 123.4, stable: true } });
    expect(await runDecode('acme-w', 'OL', registry)).toMatchObject({ ok: true, output: { grams: null, condition: 'overload' } });
    expect(await runDecode('acme-w', 'ST,12 kg', registry)).toMatchObject({ ok: false, output: { error: 'BAD_LINE', protocol: 'acme-w' } });
  });

  it('drives a scale played by the line-scale stub: weights as the platform settles, overload on the status', async () => {
    let link: FakeSerialLink | undefined;
    const device = parseConfig({ devices: [{ ...entry, stability: { holdMs: 0 } }] }, { findProtocol: registry.findProtocol }).devices[0] as unknown as DeviceConfig;
    const ctx = fakeContext(device, { serial: (o) => (link = new FakeSerialLink(o)) });
    const driver = registry.findProtocol('acme-w')!.createDriver(ctx);
    await driver.start();
    expect(link!.options).toMatchObject({ path: '/dev/ttyUSB3', baudRate: 4800 });
    link!.open();
    expect(ctx.lastStatus()).toBe('online');
    const platform = new ScalePlatform({ settleMs: 500, divisionGrams: 0.1 });
    const stub = new LineScaleStub(platform, acmeW.lineScale);
    platform.setLoad(250, Date.now());
    for (let t = 0; t <= 800; t += 100) {
      for (const line of stub.tick(Date.now())) link!.feed(line);
      await vi.advanceTimersByTimeAsync(100);
    }
    const weights = ctx.weights();
    expect(weights.at(-1)).toMatchObject({ grams: 250, stable: true, raw: 'ST,+00250.0 g' });
    expect(weights.some((w) => w.stable === false)).toBe(true);
    for (const w of weights) expect(checkEventPayload('weight', w).ok).toBe(true);
    link!.feed('garbage\r\n');
    expect(ctx.faults.map((f) => f.kind)).toContain('decode');
    platform.setOverload(true);
    for (const line of stub.tick(Date.now())) link!.feed(line);
    expect(JSON.stringify(ctx.statuses.at(-1))).toContain('overload');
    await driver.stop();
  });

  it('is simulated from the same definition: the spec names it, the printed entry is one the gateway accepts', async () => {
    const endpoints = fakeEndpoints();
    const sims = await startSimulators(
      { dir: '/sim', tickMs: 0, devices: [{ id: 'counter-1', protocol: 'acme-w', load: 1200 }] },
      { serialEndpoint: endpoints.make, registry },
    );
    try {
      expect(sims.devices[0]).toMatchObject({ kind: 'scale', protocol: 'acme-w', transport: { type: 'serial', baudRate: 4800 } });
      sims.tick();
      const sent = endpoints.of.get('counter-1')!.take();
      expect(sent).toBe('ST,+01200.0 g\r\n');
      expect(acmeW.lineScale.decode(sent.trimEnd())).toEqual({ grams: 1200, stable: true });
      expect(await sims.control('counter-1', 'overload', { on: true })).toMatchObject({ ok: true });
      sims.tick();
      expect(endpoints.of.get('counter-1')!.take()).toBe('OL\r\n');
      const config = parseConfig({ devices: sims.gatewayConfig().devices }, { findProtocol: registry.findProtocol });
      expect(config.devices[0]).toMatchObject({ protocol: 'acme-w', transport: { baudRate: 4800 } });
    } finally {
      await sims.close();
    }
  });

  it('polls a scale that answers a command, from when the port opens until it closes; a decode that throws is a typed fault', async () => {
    const polled = defineLineScale({
      name: 'acme-p',
      summary: 'ACME P-series: answers "W" with one acme-w line',
      example: 'ST,+00001.0 g',
      poll: { command: 'W', everyMs: 200 },
      decode: (line) => {
        if (line === 'boom') throw new Error('not a number');
        return acmeW.lineScale.decode(line);
      },
      encode: (reading) => acmeW.lineScale.encode(reading),
    });
    let link: FakeSerialLink | undefined;
    const device: DeviceConfig = { id: 'counter-2', kind: 'scale', kit: 'van-1', protocol: 'acme-p', transport: { type: 'serial', path: '/dev/ttyUSB4' }, stability: { holdMs: 0 } };
    const ctx = fakeContext(device, { serial: (o) => (link = new FakeSerialLink(o)) });
    const driver = polled.createDriver(ctx);
    await driver.start();
    expect(link!.options.baudRate).toBe(9600);
    const platform = new ScalePlatform({ settleMs: 0 });
    platform.setLoad(500, Date.now() - 1000);
    const stub = new LineScaleStub(platform, polled.lineScale);
    expect(stub.tick(Date.now())).toEqual([]);
    link!.onWrite = (line) => {
      for (const reply of stub.receive(line.trimEnd(), Date.now())) link!.feed(reply);
    };
    await vi.advanceTimersByTimeAsync(1000);
    expect(link!.writes).toEqual([]);
    link!.open();
    await vi.advanceTimersByTimeAsync(450);
    expect(link!.writes).toEqual(['W\r\n', 'W\r\n', 'W\r\n']);
    expect(ctx.weights().at(-1)).toMatchObject({ grams: 500, stable: true });
    link!.close();
    await vi.advanceTimersByTimeAsync(1000);
    expect(link!.writes).toHaveLength(3);
    link!.feed('boom\r\n');
    expect(ctx.faults.at(-1)).toMatchObject({ kind: 'decode' });
    expect(JSON.stringify(ctx.faults.at(-1))).toContain('DECODER_THREW');
    await driver.stop();
  });
});
