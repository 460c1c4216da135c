import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { DriverContext, ProtocolDefinition } from '../../devices/driver.js';
import { CodecError } from '../../devices/codec.js';
import { createTransports } from '../../devices/transports/index.js';
import { TransportUnavailableError } from '../../devices/transports/types.js';
import { authFetch, collect, metricValue, OPERATOR_PASSWORD, operatorHash, startTestGateway, type TestGateway } from '../helpers/gateway.js';

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
