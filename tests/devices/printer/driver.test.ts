/**
 * The printer driver against the printer firmware stub, the link faked at its thinnest
 * point (bytes in, bytes out), under fake timers: status polls become alarms raised and
 * cleared, a job waits for a fault to clear, every job id prints once across a restart,
 * and a reprint is its own job.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceConfig, DriverContext } from '../../../devices/driver.js';
import { escposPrinter, tsplPrinter } from '../../../devices/printer/index.js';
import type { Transports } from '../../../devices/transports/types.js';
import { PrinterStub } from '../../../firmware-stubs/printer/printer.js';
import { MapStore } from '../locker/fake-context.js';
import { StubLink } from './stub-link.js';

function setup(protocol: 'escpos' | 'tspl', stub: PrinterStub, store = new MapStore()) {
  const device: DeviceConfig = { id: 'printer-1', kind: 'printer', kit: 'van-1', protocol, transport: { type: 'serial', path: '/dev/ttyUSB5' }, pollMs: 500 };
  const links: StubLink[] = [];
  const transports: Transports = {
    serial: () => {
      const l = new StubLink(stub);
      links.push(l);
      return l;
    },
    hid: () => Promise.reject(new Error('no hid')),
    ble: () => Promise.reject(new Error('no ble')),
  };
  const ctx: DriverContext = { device, log: pino({ level: 'silent' }), emit: () => undefined, status: () => undefined, fault: () => undefined, transports, state: store, now: () => Date.now() };
  const driver = (protocol === 'escpos' ? escposPrinter : tsplPrinter).createDriver(ctx);
  return { driver, links, store };
}

const receipt = (id: string) => ({ id, kind: 'receipt', fields: { receipt: '0A1-B2C3', waybill: 'RB123456785GB', weight: '1.250 kg' } });
const alarms = (d: { describe?(): Record<string, unknown> }) => (d.describe!().alarms as { kind: string }[]).map((a) => a.kind);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('printer driver', () => {
  it('prints a receipt job once; the same id again is a duplicate', async () => {
    const stub = new PrinterStub('escpos');
    const { driver } = setup('escpos', stub);
    await driver.start();
    expect(await driver.command!('print', receipt('rec-1'))).toMatchObject({ ok: true, queued: 1 });
    await vi.advanceTimersByTimeAsync(100);
    expect(stub.pages).toBe(1);
    expect(stub.last!.page.items).toContainEqual({ t: 'barcode', data: 'RB123456785GB', height: 80 });
    expect(await driver.command!('print', receipt('rec-1'))).toMatchObject({ ok: true, duplicate: true });
    await vi.advanceTimersByTimeAsync(2000);
    expect(stub.pages).toBe(1);
    expect(driver.describe!()).toMatchObject({ counts: { printed: 1, duplicates: 1 }, lastPrint: { id: 'rec-1', kind: 'receipt' } });
    await driver.stop();
  });

  it.each(['escpos', 'tspl'] as const)('%s: a fault is an alarm; the job waits for it to clear, then prints', async (protocol) => {
    const stub = new PrinterStub(protocol);
    const { driver } = setup(protocol, stub);
    stub.setFault('paper-out', true);
    await driver.start();
    await vi.advanceTimersByTimeAsync(600);
    expect(alarms(driver)).toEqual(['printer-paper-out']);
    await driver.command!('print', { ...receipt('job-1'), kind: protocol === 'tspl' ? 'label' : 'receipt' });
    await vi.advanceTimersByTimeAsync(3000);
    expect(stub.pages).toBe(0);
    expect(driver.describe!()).toMatchObject({ queued: 1 });
    stub.setFault('paper-out', false);
    await vi.advanceTimersByTimeAsync(600);
    expect(stub.pages).toBe(1);
    expect(alarms(driver)).toEqual([]);
    stub.setFault('cover-open', true);
    await vi.advanceTimersByTimeAsync(600);
    expect(alarms(driver)).toEqual([protocol === 'tspl' ? 'printer-head-open' : 'printer-cover-open']);
    await driver.stop();
  });

  it('a printer that does not answer is an alarm, and jobs wait', async () => {
    const stub = new PrinterStub('escpos');
    stub.receive = () => new Uint8Array();
    const { driver } = setup('escpos', stub);
    await driver.start();
    await driver.command!('print', receipt('rec-1'));
    await vi.advanceTimersByTimeAsync(3000);
    expect(alarms(driver)).toEqual(['printer-not-answering']);
    expect(driver.describe!()).toMatchObject({ queued: 1, counts: { printed: 0 } });
    await driver.stop();
  });

  it('after a restart: queued jobs print, printed ones do not, one being sent is not sent again but can be reprinted', async () => {
    const stub = new PrinterStub('escpos');
    const store = new MapStore();
    const first = setup('escpos', stub, store);
    await first.driver.start();
    await first.driver.command!('print', receipt('rec-1'));
    await vi.advanceTimersByTimeAsync(100);
    expect(stub.pages).toBe(1);
    // the gateway stops while rec-2 is being written: the state says sent, not done
    const saved = store.get<{ pending: unknown[]; sent: string[] }>('print-jobs')!;
    await store.set('print-jobs', { ...saved, pending: [receipt('rec-2'), receipt('rec-3')], sent: ['rec-2'] });
    await first.driver.stop();

    const second = setup('escpos', stub, store);
    await second.driver.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(stub.pages).toBe(2);
    expect(stub.last!.page.items).toContainEqual(expect.objectContaining({ text: 'Receipt 0A1-B2C3' }));
    expect(second.driver.describe!()).toMatchObject({ uncertain: [{ id: 'rec-2' }], counts: { printed: 1, uncertain: 1 } });
    for (const id of ['rec-1', 'rec-2', 'rec-3']) expect(await second.driver.command!('print', receipt(id))).toMatchObject({ duplicate: true });
    expect(await second.driver.command!('reprint', { id: 'rec-2' })).toMatchObject({ ok: true, reprintOf: 'rec-2' });
    expect(await second.driver.command!('reprint', {})).toMatchObject({ ok: true, reprintOf: 'rec-3' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(stub.pages).toBe(4);
    expect(second.driver.describe!()).toMatchObject({ uncertain: [], counts: { printed: 3, reprints: 2 } });
    expect(await second.driver.command!('reprint', { id: 'nope' })).toMatchObject({ ok: false, error: 'UNKNOWN_JOB' });
    await second.driver.stop();
  });

  it('refuses a job without an id or kind', async () => {
    const { driver } = setup('escpos', new PrinterStub('escpos'));
    expect(await driver.command!('print', { kind: 'receipt' })).toMatchObject({ ok: false, error: 'BAD_JOB' });
    expect(await driver.command!('print', { id: 'x', kind: 'poster' })).toMatchObject({ ok: false, error: 'BAD_JOB' });
  });
});
