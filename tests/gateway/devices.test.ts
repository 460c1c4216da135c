import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { DriverContext, ProtocolDefinition } from '../../devices/driver.js';
import { CodecError } from '../../devices/codec.js';
import { createTransports } from '../../devices/transports/index.js';
import { TransportUnavailableError } from '../../devices/transports/types.js';
import { authFetch, collect, metricValue, OPERATOR_PASSWORD, operatorHash, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import type { JournalComponent } from '../../gateway/journal-component.js';
import type { RecordEnvelope } from '../../cloud-sync/journal/records.js';

let ctxs: Record<string, DriverContext> = {};
const echo: ProtocolDefinition = {
  name: 'test-echo',
  kind: 'scale',
  transports: ['serial'],
  summary: 'a test scale that answers tare with its gain',
  options: z.looseObject({ gain: z.number().default(1) }),
  createDriver(ctx) {
    ctxs[ctx.device.id] = ctx;
    return {
      async start() {
        if (ctx.device.id === 'broken') throw new Error('port exploded');
        ctx.status('online');
      },
      async stop() {},
      async command(name, payload) {
        if (name === 'tare') return { ok: true, tareGrams: Number(payload.grams ?? 0) * (ctx.device.gain as number) };
        return { ok: false, error: 'NOT_SUPPORTED' };
      },
    };
  },
};
const ble: ProtocolDefinition = {
  name: 'test-ble',
  kind: 'scale',
  transports: ['ble'],
  summary: 'a test BLE scale',
  options: z.looseObject({}),
  createDriver(ctx) {
    return {
      async start() {
        try {
          await ctx.transports.ble();
        } catch (err) {
          if (err instanceof TransportUnavailableError) ctx.status('unavailable', { reason: err.reason });
          else throw err;
        }
      },
      async stop() {},
    };
  },
};
const lookup = (name: string) => [echo, ble].find((p) => p.name === name);

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
  ctxs = {};
});

async function start(): Promise<TestGateway> {
  t = await startTestGateway(
    {
      operators: [{ username: 'tech', passwordHash: operatorHash() }],
      devices: [
        { id: 'scale-1', kind: 'scale', kit: 'van-1', protocol: 'test-echo', transport: { type: 'serial', path: '/dev/null' }, gain: 2 },
        { id: 'broken', kind: 'scale', kit: 'van-1', protocol: 'test-echo', transport: { type: 'serial', path: '/dev/null' } },
        { id: 'ble-1', kind: 'scale', kit: 'van-1', protocol: 'test-ble', transport: { type: 'ble' } },
      ],
    },
    {
      findProtocol: lookup,
      transports: createTransports({ loadBle: async () => { throw new TransportUnavailableError('ble', 'no Bluetooth here'); } }),
    },
  );
  return t;
}

describe('device manager', () => {
  it('publishes driver events on the bus and to MQTT subscribers', async () => {
    const g = await start();
    const op = await g.connect('tech', OPERATOR_PASSWORD);
    const inbox = await collect(op, 'cg/v1/devices/scale-1/events/#');
    const pipeline: unknown[] = [];
    g.gateway.bus.on('t', 'device-event', (e) => pipeline.push(e.payload));
    ctxs['scale-1'].emit('weight', { grams: 1210, stable: true });
    expect((await inbox.next()).payload).toEqual({ grams: 1210, stable: true });
    expect(pipeline).toEqual([{ grams: 1210, stable: true }]);
  });

  it('counts an invalid driver event as a fault and passes nothing on', async () => {
    const g = await start();
    const pipeline: unknown[] = [];
    g.gateway.bus.on('t', 'device-event', (e) => pipeline.push(e));
    ctxs['scale-1'].emit('weight', { grams: Number.NaN, stable: true });
    ctxs['scale-1'].fault('bad_frame', new CodecError('test', 'BAD', 'garbled', '00 FF'));
    expect(pipeline).toEqual([]);
    expect(await metricValue(g.httpUrl, 'cg_device_faults_total', { device: 'scale-1', kind: 'invalid_event' })).toBe(1);
    expect(await metricValue(g.httpUrl, 'cg_device_faults_total', { device: 'scale-1', kind: 'bad_frame' })).toBe(1);
  });

  it('keeps running when one driver fails to start or its library is missing, and says why', async () => {
    const g = await start();
    const health = (await (await authFetch(`${g.httpUrl}/healthz`)).json()) as { status: string; devices: { id: string; state: string; reason?: string }[] };
    expect(health.status).toBe('ok');
    expect(health.devices).toContainEqual({ id: 'broken', kind: 'scale', state: 'unavailable', reason: 'port exploded' });
    expect(health.devices).toContainEqual({ id: 'ble-1', kind: 'scale', state: 'unavailable', reason: 'no Bluetooth here' });
    expect(health.devices.find((d) => d.id === 'scale-1')?.state).toBe('online');
    const op = await g.connect('tech', OPERATOR_PASSWORD);
    const status = await collect(op, 'cg/v1/devices/ble-1/status');
    expect((await status.next()).payload).toMatchObject({ state: 'unavailable', reason: 'no Bluetooth here' });
  });

  it('routes a bus command to the driver, with its validated options, and answers on the status', async () => {
    const g = await start();
    const op = await g.connect('tech', OPERATOR_PASSWORD);
    const status = await collect(op, 'cg/v1/devices/scale-1/status');
    await op.publishAsync('cg/v1/devices/scale-1/commands/tare', JSON.stringify({ id: 'c1', grams: 21 }), { qos: 1 });
    const answer = await status.next((m) => (m.payload as { lastCommand?: { id: string } }).lastCommand?.id === 'c1');
    expect((answer.payload as { lastCommand: unknown }).lastCommand).toMatchObject({ id: 'c1', name: 'tare', ok: true, tareGrams: 42 });
    await op.publishAsync('cg/v1/devices/scale-1/commands/tare', 'garbage', { qos: 1 });
    const bad = await status.next((m) => (m.payload as { lastCommand?: { error?: string } }).lastCommand?.error === 'INVALID_PAYLOAD');
    expect(bad).toBeDefined();
  });
});

describe('driver alarms', () => {
  it('raises and clears what a driver lists in describe().alarms on the gateway alarm bus and /metrics', async () => {
    let alarms: { kind: string; message: string; compartment?: string }[] = [];
    const withAlarms: ProtocolDefinition = {
      name: 'test-alarms',
      kind: 'locker',
      transports: ['serial'],
      summary: 'a test locker bank with alarms',
      options: z.looseObject({}),
      createDriver: () => ({ async start() {}, async stop() {}, describe: () => ({ alarms }) }),
    };
    t = await startTestGateway(
      { devices: [{ id: 'bank-1', kind: 'locker', kit: 'b-1', protocol: 'test-alarms', transport: { type: 'serial', path: '/dev/null' } }] },
      { findProtocol: (n) => (n === 'test-alarms' ? withAlarms : undefined) },
    );
    alarms = [{ kind: 'door-open', message: 'A03 open for 61 s', compartment: 'A03' }];
    t.gateway.devices.syncDriverAlarms();
    expect(t.gateway.activeAlarms()).toMatchObject([{ kind: 'door-open', source: 'bank-1:A03', active: true }]);
    expect(await metricValue(t.httpUrl, 'cg_alarms_active', { kind: 'door-open' })).toBe(1);
    const health = (await (await authFetch(`${t.httpUrl}/healthz`)).json()) as { alarms: { kind: string }[] };
    expect(health.alarms.map((a) => a.kind)).toEqual(['door-open']);
    alarms = [];
    t.gateway.devices.syncDriverAlarms();
    expect(t.gateway.activeAlarms()).toEqual([]);
    expect(await metricValue(t.httpUrl, 'cg_alarms_active', { kind: 'door-open' })).toBe(0);
  });
});

describe('locker command audit', () => {
  it('keeps every open published on the bus as a locker.command record: who, which compartment, the result', async () => {
    const opened: string[] = [];
    const bank: ProtocolDefinition = {
      name: 'test-bank',
      kind: 'locker',
      transports: ['serial'],
      summary: 'a test locker bank that opens what it is told',
      options: z.looseObject({}),
      createDriver: () => ({
        async start() {},
        async stop() {},
        async command(name: string, payload: Record<string, unknown>) {
          if (name !== 'open') return { ok: false, error: 'NOT_SUPPORTED' };
          if (payload.compartment === 'Z99') return { ok: false, error: 'UNKNOWN_COMPARTMENT' };
          opened.push(String(payload.compartment));
          return { ok: true };
        },
      }),
    };
    t = await startTestGateway(
      {
        operators: [{ username: 'tech', passwordHash: operatorHash() }],
        devices: [{ id: 'bank-1', kind: 'locker', kit: 'branch-1', protocol: 'test-bank', transport: { type: 'serial', path: '/dev/null' } }],
      },
      { findProtocol: (n) => (n === 'test-bank' ? bank : undefined) },
    );
    const op = await t.connect('tech', OPERATOR_PASSWORD);
    const status = await collect(op, 'cg/v1/devices/bank-1/status');
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    await op.publishAsync('cg/v1/devices/bank-1/commands/open', JSON.stringify({ id: 'c-1', compartment: 'A03', expiresAt }), { qos: 1 });
    await op.publishAsync('cg/v1/devices/bank-1/commands/open', JSON.stringify({ id: 'c-2', compartment: 'Z99', expiresAt }), { qos: 1 });
    await status.next((m) => (m.payload as { lastCommand?: { id?: string } }).lastCommand?.id === 'c-2');
    // the gateway's own command (no client) is kept too
    await t.gateway.broker.publish('cg/v1/devices/bank-1/commands/open', { id: 'c-3', compartment: 'B01', expiresAt }, { qos: 1 });
    await status.next((m) => (m.payload as { lastCommand?: { id?: string } }).lastCommand?.id === 'c-3');
    const journal = (t.gateway.component('journal') as JournalComponent).journal!;
    let records: RecordEnvelope[] = [];
    for (let i = 0; i < 50 && records.length < 3; i++) {
      records = (await journal.next(1000, 10_000_000)).filter((r) => r.kind === 'locker.command');
      if (records.length < 3) await new Promise((r) => setTimeout(r, 20));
    }
    expect(opened).toEqual(['A03', 'B01']);
    expect(records.map((r) => r.body)).toEqual([
      expect.objectContaining({ command: 'open', id: 'c-1', compartment: 'A03', by: { role: 'operator', username: 'tech' }, ok: true }),
      expect.objectContaining({ command: 'open', id: 'c-2', compartment: 'Z99', by: { role: 'operator', username: 'tech' }, ok: false, error: 'UNKNOWN_COMPARTMENT' }),
      expect.objectContaining({ command: 'open', id: 'c-3', compartment: 'B01', by: { role: 'gateway' }, ok: true }),
    ]);
    expect(records.every((r) => r.stream === 'bank-1' && r.kit === 'branch-1')).toBe(true);
  });
});
