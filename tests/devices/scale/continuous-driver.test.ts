import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { continuousScaleProtocol } from '../../../devices/scale/index.js';
import { fromHex } from '../../../devices/codec.js';
import { fakeContext, FakeSerialLink } from './fakes.js';

function setup(extra: Record<string, unknown> = {}) {
  let link: FakeSerialLink | undefined;
  const ctx = fakeContext(
    { protocol: 'continuous-scale', transport: { type: 'serial', path: '/dev/ttyUSB3' }, ...extra },
    { serial: (o) => (link = new FakeSerialLink(o)) },
  );
  return { ctx, driver: continuousScaleProtocol.createDriver(ctx), link: () => link! };
}

describe('continuous-scale driver', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('decodes the streamed 22-byte lines (binary lamp byte) with the raw frame as hex, default 9600 baud', async () => {
    const { ctx, driver, link } = setup();
    await driver.start();
    expect(link().options.baudRate).toBe(9600);
    link().open();
    link().feed(fromHex('55 53 2C 47 53 2C 31 84 2C 30 30 31 33 2E 34 30 30 20 6B 67 0D 0A') as Uint8Array);
    link().feed(fromHex('53 54 2C 47 53 2C 31 C4 2C 30 30 31 33 2E 35 30 30 20 6B 67 0D 0A') as Uint8Array);
    expect(ctx.weights()).toEqual([
      { grams: 13400, stable: false, status: 'motion', deviceStable: false, mode: 'gross', unit: 'kg', raw: '55 53 2C 47 53 2C 31 84 2C 30 30 31 33 2E 34 30 30 20 6B 67' },
      { grams: 13500, stable: true, stableBy: 'device', status: 'ok', deviceStable: true, mode: 'gross', unit: 'kg', raw: '53 54 2C 47 53 2C 31 C4 2C 30 30 31 33 2E 35 30 30 20 6B 67' },
    ]);
  });

  it('reports zero, overload and bad lines, and goes offline with the port', async () => {
    const { ctx, driver, link } = setup();
    await driver.start();
    link().open();
    link().feed('ST,GS,+  0.000kg\r\nOL,GS,  OL    kg\r\nST,GS,+ 1x.500kg\r\n');
    expect(ctx.weights()).toEqual([expect.objectContaining({ grams: 0, stable: true, status: 'zero' })]);
    expect(ctx.statuses.some((s) => s.detail?.condition === 'overload')).toBe(true);
    expect(ctx.faults).toHaveLength(1);
    expect(ctx.faults[0]).toMatchObject({ kind: 'decode', error: { code: 'BAD_WEIGHT', input: expect.stringMatching(/^53 54 2C/) } });
    link().close();
    expect(ctx.lastStatus()).toBe('offline');
    await expect(driver.command!('tare', {})).resolves.toMatchObject({ ok: false, error: 'NOT_SUPPORTED' });
  });

  it('without trusting the header flag, needs the reading held within the band', async () => {
    const { ctx, driver, link } = setup({ stability: { confirmDeviceFlag: true, bandGrams: 5, holdMs: 400 } });
    await driver.start();
    link().open();
    link().feed('ST,NT,+  2.000kg\r\n');
    await vi.advanceTimersByTimeAsync(200);
    link().feed('ST,NT,+  2.004kg\r\n');
    await vi.advanceTimersByTimeAsync(199);
    expect(ctx.weights()).toHaveLength(2);
    // 400 ms after 2.000 kg, still within ±5 g: the re-check marks the last reading stable
    await vi.advanceTimersByTimeAsync(1);
    link().feed('ST,NT,+  2.003kg\r\n');
    link().feed('ST,NT,+  2.020kg\r\n');
    expect(ctx.weights().map((w) => [w.grams, w.stable, w.stableBy])).toEqual([
      [2000, false, undefined],
      [2004, false, undefined],
      [2004, true, 'band'],
      [2003, true, 'band'],
      [2020, false, undefined],
    ]);
  });
});
