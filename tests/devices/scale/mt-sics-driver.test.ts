import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkEventPayload } from '../../../devices/events.js';
import { mtSicsProtocol } from '../../../devices/scale/index.js';
import { CodecError } from '../../../devices/codec.js';
import { fakeContext, FakeSerialLink } from './fakes.js';

function setup(extra: Record<string, unknown> = {}) {
  let link: FakeSerialLink | undefined;
  const ctx = fakeContext(
    { protocol: 'mt-sics', transport: { type: 'serial', path: '/dev/ttyS9', baudRate: 9600 }, ...extra },
    { serial: (o) => (link = new FakeSerialLink(o)) },
  );
  const driver = mtSicsProtocol.createDriver(ctx);
  return { ctx, driver, link: () => link! };
}

describe('mt-sics driver', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('opens the configured port, sends SIR once open and emits decoded weights with the raw line', async () => {
    const { ctx, driver, link } = setup();
    await driver.start();
    expect(link().options).toMatchObject({ path: '/dev/ttyS9', baudRate: 9600 });
    expect(link().started).toBe(true);
    expect(ctx.lastStatus()).toBe('connecting');
    link().open();
    expect(ctx.lastStatus()).toBe('online');
    expect(link().writes).toEqual(['SIR\r\n']);
    link().feed('S D     120.50 g\r\nS S    ');
    link().feed(' 121.00 g\r\n');
    expect(ctx.weights()).toEqual([
      { grams: 120.5, stable: false, status: 'motion', deviceStable: false, raw: 'S D     120.50 g', value: 120.5, unit: 'g' },
      { grams: 121, stable: true, stableBy: 'device', status: 'ok', deviceStable: true, raw: 'S S     121.00 g', value: 121, unit: 'g' },
    ]);
    for (const w of ctx.weights()) expect(checkEventPayload('weight', w).ok).toBe(true);
  });

  it('emits on change only by default, every reading when configured', async () => {
    const a = setup();
    await a.driver.start();
    a.link().open();
    for (let i = 0; i < 3; i++) a.link().feed('S S      1.000 kg\r\n');
    expect(a.ctx.weights()).toHaveLength(1);
    expect(a.ctx.weights()[0]).toMatchObject({ grams: 1000, unit: 'kg' });
    const b = setup({ emit: 'every' });
    await b.driver.start();
    b.link().open();
    for (let i = 0; i < 3; i++) b.link().feed('S S      1.000 kg\r\n');
    expect(b.ctx.weights()).toHaveLength(3);
  });

  it('polls with SI at the configured rate while open, and stops when the port closes', async () => {
    const { ctx, driver, link } = setup({ poll: { command: 'SI', everyMs: 100 } });
    await driver.start();
    link().open();
    link().onWrite = () => link().feed('S S      50.00 g\r\n');
    await vi.advanceTimersByTimeAsync(350);
    expect(link().writes).toEqual(['SI\r\n', 'SI\r\n', 'SI\r\n']);
    link().close(new Error('port gone'));
    expect(ctx.statuses.at(-1)).toEqual({ state: 'offline', detail: { path: '/dev/ttyS9', reason: 'port gone' } });
    await vi.advanceTimersByTimeAsync(1000);
    expect(link().writes).toHaveLength(3);
    link().open();
    await vi.advanceTimersByTimeAsync(100);
    expect(link().writes).toHaveLength(4);
  });

  it('does not send a new S poll while the last one is unanswered, until it is stale', async () => {
    const { driver, link } = setup({ poll: { command: 'S', everyMs: 100 }, commandTimeoutMs: 1000 });
    await driver.start();
    link().open();
    await vi.advanceTimersByTimeAsync(500);
    expect(link().writes).toEqual(['S\r\n']);
    await vi.advanceTimersByTimeAsync(600);
    expect(link().writes).toEqual(['S\r\n', 'S\r\n']);
  });

  it('answers tare with the tare weight and restarts SIR after it', async () => {
    const { driver, link } = setup();
    await driver.start();
    link().open();
    const result = driver.command!('tare', {});
    expect(link().writes).toEqual(['SIR\r\n', 'T\r\n']);
    link().feed('T S     100.00 g\r\n');
    await expect(result).resolves.toEqual({ ok: true, tareGrams: 100 });
    expect(link().writes).toEqual(['SIR\r\n', 'T\r\n', 'SIR\r\n']);
  });

  it('answers zero: Z A done, Z I busy, EL as a device error, no reply as a timeout', async () => {
    const { driver, link } = setup({ poll: { command: 'none' }, commandTimeoutMs: 2000 });
    await driver.start();
    link().open();
    let r = driver.command!('zero', {});
    link().feed('Z A\r\n');
    await expect(r).resolves.toEqual({ ok: true });
    r = driver.command!('zero', {});
    link().feed('Z I\r\n');
    await expect(r).resolves.toMatchObject({ ok: false, error: 'BUSY' });
    r = driver.command!('zero', {});
    link().feed('EL\r\n');
    await expect(r).resolves.toMatchObject({ ok: false, error: 'DEVICE_ERROR', code: 'EL' });
    r = driver.command!('zero', {});
    await vi.advanceTimersByTimeAsync(2000);
    await expect(r).resolves.toMatchObject({ ok: false, error: 'TIMEOUT' });
    expect(link().writes).toEqual(['Z\r\n', 'Z\r\n', 'Z\r\n', 'Z\r\n']);
  });

  it('answers unknown commands, commands while offline, and pending commands when the port closes', async () => {
    const { driver, link } = setup();
    await driver.start();
    await expect(driver.command!('open', {})).resolves.toMatchObject({ ok: false, error: 'NOT_SUPPORTED' });
    await expect(driver.command!('tare', {})).resolves.toMatchObject({ ok: false, error: 'OFFLINE' });
    link().open();
    const r = driver.command!('tare', {});
    link().close();
    await expect(r).resolves.toMatchObject({ ok: false, error: 'OFFLINE' });
  });

  it('counts garbled lines and unsolicited ES as faults and keeps going', async () => {
    const { ctx, driver, link } = setup();
    await driver.start();
    link().open();
    link().feed('S S  12x.0 g\r\nES\r\nS S      12.00 g\r\n');
    expect(ctx.faults.map((f) => f.kind)).toEqual(['decode', 'device-error']);
    expect(ctx.faults[0].error).toBeInstanceOf(CodecError);
    expect(ctx.faults[0].error).toMatchObject({ code: 'BAD_VALUE', input: 'S S  12x.0 g' });
    expect(ctx.weights()).toMatchObject([{ grams: 12, stable: true }]);
  });

  it('reports overload on the status once, without a weight event', async () => {
    const { ctx, driver, link } = setup();
    await driver.start();
    link().open();
    link().feed('S +\r\nS +\r\n');
    expect(ctx.weights()).toEqual([]);
    expect(ctx.statuses.filter((s) => s.detail?.condition === 'overload')).toHaveLength(1);
    link().feed('S S      12.00 g\r\n');
    expect(ctx.statuses.at(-1)).toEqual({ state: 'online', detail: {} });
  });

  it('drops an overlong line as an overflow fault', async () => {
    const { ctx, driver, link } = setup();
    await driver.start();
    link().open();
    link().feed('S'.repeat(300));
    link().feed('\r\nS S      12.00 g\r\n');
    expect(ctx.faults.map((f) => f.kind)).toEqual(['overflow']);
    expect(ctx.weights()).toHaveLength(1);
  });

  it('confirms an early stable flag with the band rule when configured (timer re-check)', async () => {
    const { ctx, driver, link } = setup({ stability: { confirmDeviceFlag: true, holdMs: 500 } });
    await driver.start();
    link().open();
    link().feed('S S     300.00 g\r\n');
    expect(ctx.weights()).toEqual([expect.objectContaining({ grams: 300, stable: false, deviceStable: true })]);
    await vi.advanceTimersByTimeAsync(499);
    expect(ctx.weights()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(ctx.weights()[1]).toMatchObject({ grams: 300, stable: true, stableBy: 'band' });
  });

  it('is unavailable with the field named when its config is wrong, and never opens a port', async () => {
    const { ctx, driver, link } = setup({ poll: { command: 'SX' } });
    await driver.start();
    expect(ctx.statuses).toEqual([{ state: 'unavailable', detail: { reason: expect.stringContaining('poll.command') } }]);
    expect(link()).toBeUndefined();
  });
});
