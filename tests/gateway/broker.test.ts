import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { authFetch, collect, DEVICE_PASSWORD, metricValue, OPERATOR_PASSWORD, operatorHash, startTestGateway, testHash, type TestGateway } from '../helpers/gateway.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({
    operators: [{ username: 'tech', passwordHash: operatorHash() }],
    kits: [{ id: 'van-017' }],
    devices: [
      { id: 'terminal-1', kind: 'terminal', kit: 'van-017', credentials: { passwordHash: testHash() } },
      { id: 'scanner-2', kind: 'scanner', kit: 'van-018', credentials: { passwordHash: testHash() } },
    ],
  });
});
afterAll(async () => t?.stop());

describe('embedded broker', () => {
  it('delivers a valid device event to an operator and to the pipeline', async () => {
    const seen: string[] = [];
    t.gateway.bus.on('test', 'device-event', (e) => seen.push(`${e.deviceId}:${e.kit}:${e.type}:${(e.payload as { code: string }).code}`));
    const op = await t.connect('tech', OPERATOR_PASSWORD);
    const inbox = await collect(op, 'cg/v1/#');
    const dev = await t.connect('terminal-1', DEVICE_PASSWORD);
    await dev.publishAsync('cg/v1/devices/terminal-1/events/scan', JSON.stringify({ code: 'RR123456785CN' }), { qos: 1 });
    const m = await inbox.next((x) => x.topic === 'cg/v1/devices/terminal-1/events/scan');
    expect(m.payload).toEqual({ code: 'RR123456785CN' });
    expect(seen).toEqual(['terminal-1:van-017:scan:RR123456785CN']);
    t.gateway.bus.off('test');
  });

  it('refuses a wrong password, an unknown user and an anonymous client, and counts them', async () => {
    const before = await metricValue(t.httpUrl, 'cg_auth_refused_total');
    await expect(t.connect('terminal-1', 'wrong')).rejects.toThrow(/Bad username or password|Not authorized|connection closed/i);
    await expect(t.connect('nobody', 'x')).rejects.toThrow();
    await expect(t.connect()).rejects.toThrow();
    expect(await metricValue(t.httpUrl, 'cg_auth_refused_total')).toBe(before + 3);
    expect(await metricValue(t.httpUrl, 'cg_auth_refused_total', { reason: 'anonymous' })).toBeGreaterThanOrEqual(1);
  });

  it('answers an invalid payload on the errors topic, counts it, and passes nothing on', async () => {
    const op = await t.connect('tech', OPERATOR_PASSWORD);
    const inbox = await collect(op, 'cg/v1/devices/terminal-1/events/#');
    const dev = await t.connect('terminal-1', DEVICE_PASSWORD);
    const errors = await collect(dev, 'cg/v1/devices/terminal-1/errors');
    const pipeline: unknown[] = [];
    t.gateway.bus.on('test', 'device-event', (e) => pipeline.push(e));
    const before = await metricValue(t.httpUrl, 'cg_payloads_refused_total');

    await dev.publishAsync('cg/v1/devices/terminal-1/events/scan', 'not json{', { qos: 1 });
    const e1 = await errors.next();
    expect(e1.payload).toMatchObject({ error: 'NOT_JSON', topic: 'cg/v1/devices/terminal-1/events/scan' });

    await dev.publishAsync('cg/v1/devices/terminal-1/events/weight', JSON.stringify({ grams: 'heavy', stable: true }), { qos: 1 });
    const e2 = await errors.next((m) => (m.payload as { error: string }).error === 'INVALID_PAYLOAD');
    expect(e2.payload).toMatchObject({ field: 'grams' });

    await dev.publishAsync('cg/v1/devices/terminal-1/events/teleport', JSON.stringify({}), { qos: 1 });
    await errors.next((m) => (m.payload as { error: string }).error === 'UNKNOWN_EVENT');

    expect(await metricValue(t.httpUrl, 'cg_payloads_refused_total')).toBe(before + 3);
    expect(await metricValue(t.httpUrl, 'cg_payloads_refused_total', { reason: 'invalid_payload' })).toBeGreaterThanOrEqual(1);
    // the gateway is still up and still passes valid events
    await dev.publishAsync('cg/v1/devices/terminal-1/events/weight', JSON.stringify({ grams: 12, stable: true }), { qos: 1 });
    await inbox.next((m) => (m.payload as { grams?: number }).grams === 12);
    expect(inbox.messages.map((m) => m.topic)).toEqual(['cg/v1/devices/terminal-1/events/weight']);
    expect(pipeline).toHaveLength(1);
    t.gateway.bus.off('test');
  });

  it("refuses a publish on another device's topic and on commands", async () => {
    const op = await t.connect('tech', OPERATOR_PASSWORD);
    const inbox = await collect(op, 'cg/v1/devices/+/events/#');
    const cmds = await collect(op, 'cg/v1/devices/+/commands/#');
    const dev = await t.connect('terminal-1', DEVICE_PASSWORD);
    const errors = await collect(dev, 'cg/v1/devices/terminal-1/errors');
    const before = await metricValue(t.httpUrl, 'cg_acl_refused_total', { action: 'publish' });
    await dev.publishAsync('cg/v1/devices/scanner-2/events/scan', JSON.stringify({ code: 'X' }), { qos: 1 });
    await dev.publishAsync('cg/v1/devices/terminal-1/commands/open', JSON.stringify({ compartment: 'A1' }), { qos: 1 });
    await errors.next((m) => (m.payload as { topic: string }).topic === 'cg/v1/devices/terminal-1/commands/open');
    expect(await metricValue(t.httpUrl, 'cg_acl_refused_total', { action: 'publish' })).toBe(before + 2);
    expect(inbox.messages).toEqual([]);
    expect(cmds.messages).toEqual([]);
  });

  it("delivers nothing to a device subscribed to another device's commands or kit", async () => {
    const spy = await t.connect('terminal-1', DEVICE_PASSWORD);
    // the broker answers SUBACK 128 (failure) for both filters; mqtt.js turns that into an error
    await expect(spy.subscribeAsync(['cg/v1/devices/scanner-2/commands/#', 'cg/v1/kits/van-018/#'])).rejects.toThrow(/Subscribe error/);
    const got: string[] = [];
    spy.on('message', (topic) => got.push(topic));
    const op = await t.connect('tech', OPERATOR_PASSWORD);
    const scanner = await t.connect('scanner-2', DEVICE_PASSWORD);
    const own = await collect(scanner, 'cg/v1/devices/scanner-2/commands/#');
    await op.publishAsync('cg/v1/devices/scanner-2/commands/feedback', JSON.stringify({ beep: 'ok' }), { qos: 1 });
    await own.next();
    await t.gateway.broker.publish('cg/v1/kits/van-018/verdicts', { x: 1 }, { qos: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([]);
    // a connection left open would keep scanner-2 online for the next test (a device is offline when its last connection goes)
    await Promise.all([scanner.endAsync(), spy.endAsync(), op.endAsync()]);
  });

  it('marks an MQTT device online on connect and offline when it drops, retained', async () => {
    const dev = await t.connect('scanner-2', DEVICE_PASSWORD);
    const op = await t.connect('tech', OPERATOR_PASSWORD);
    const status = await collect(op, 'cg/v1/devices/scanner-2/status');
    await status.next((m) => (m.payload as { state: string }).state === 'online');
    dev.stream.destroy();
    await status.next((m) => (m.payload as { state: string }).state === 'offline');
    const late = await collect(await t.connect('tech', OPERATOR_PASSWORD), 'cg/v1/devices/scanner-2/status');
    expect((await late.next()).payload).toMatchObject({ state: 'offline', kind: 'scanner', kit: 'van-018' });
    const health = (await (await authFetch(`${t.httpUrl}/healthz`)).json()) as { devices: { id: string; state: string }[] };
    expect(health.devices.find((d) => d.id === 'scanner-2')?.state).toBe('offline');
  });

  it("keeps no client's CONNECT packet (nor its password), no stream for its parser's bytes and no table of encoded numbers", async () => {
    const dev = await t.connect('terminal-1', DEVICE_PASSWORD);
    await dev.publishAsync('cg/v1/devices/terminal-1/events/scan', JSON.stringify({ code: 'RR123456785CN' }), { qos: 1 });
    const held = (t.gateway.broker as unknown as { connected: Map<string, { client: { _parser: { settings: Record<string, unknown>; _list: object } } }> }).connected;
    const settings = [...held.values()].map((c) => c.client._parser.settings);
    // the parser still parses (the publish above got its PUBACK) from a BufferList that is no stream
    for (const c of held.values()) expect(c.client._parser._list).not.toHaveProperty('pipe');
    expect(settings.length).toBeGreaterThan(0);
    for (const s of settings) expect(Object.keys(s).sort()).toEqual(['bridgeMode', 'protocolVersion']);
    // aedes has written CONNACK, PUBACK and SUBACK packets by now: mqtt-packet built no number cache for them
    const numbers = createRequire(import.meta.url)('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };
    expect(Object.keys(numbers.cache)).toHaveLength(0);
    await dev.endAsync();
  });

  it('serves /healthz and /metrics', async () => {
    const res = await authFetch(`${t.httpUrl}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe('ok');
    expect(body.checks.broker.ok).toBe(true);
    expect(body.checks.dataDir.ok).toBe(true);
    const text = await (await authFetch(`${t.httpUrl}/metrics`)).text();
    expect(text).toContain('cg_mqtt_clients_connected');
    expect(text).toContain('cg_process_resident_memory_bytes');
  });
});

describe('in-process subscriptions', () => {
  it('hand over the retained messages first when asked', async () => {
    await t.gateway.broker.publish('cg/v1/kits/van-017/tasks', { tasks: [{ id: 'T1' }] }, { retain: true, qos: 1 });
    const got: string[] = [];
    const off = t.gateway.broker.subscribe('cg/v1/kits/+/tasks', (topic, payload) => got.push(`${topic} ${payload.toString()}`), { retained: true });
    await new Promise((r) => setTimeout(r, 50));
    off();
    expect(got).toEqual(['cg/v1/kits/van-017/tasks {"tasks":[{"id":"T1"}]}']);
  });
});

describe('per-client rate limit', () => {
  it('holds a flooding device to its rate, refuses what is far beyond it, then lets it publish again', async () => {
    const g = await startTestGateway({
      mqtt: { rateLimit: { perSecond: 20, burst: 30 } },
      operators: [{ username: 'tech', passwordHash: operatorHash() }],
      devices: [{ id: 'noisy-1', kind: 'scanner', kit: 'van-1', credentials: { passwordHash: testHash() } }],
    });
    try {
      const got: unknown[] = [];
      g.gateway.bus.on('t', 'device-event', (e) => got.push(e));
      const dev = await g.connect('noisy-1', DEVICE_PASSWORD);
      const errors = await collect(dev, 'cg/v1/devices/noisy-1/errors');
      await Promise.all(Array.from({ length: 200 }, (_, i) => dev.publishAsync('cg/v1/devices/noisy-1/events/scan', JSON.stringify({ code: `C${i}` }), { qos: 0 })));
      await errors.next((m) => (m.payload as { error?: string }).error === 'RATE_LIMITED');
      const t0 = Date.now();
      let refused = 0;
      while (Date.now() - t0 < 5000) {
        refused = await metricValue(g.httpUrl, 'cg_payloads_refused_total', { reason: 'rate_limited' });
        if (got.length + refused === 200) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // the burst at once, then one token's worth of debt delivered at the rate, the rest refused
      expect(got.length + refused).toBe(200);
      expect(got.length).toBeGreaterThanOrEqual(30);
      expect(got.length).toBeLessThanOrEqual(62);
      expect(Date.now() - t0).toBeGreaterThan(500);
      await new Promise((r) => setTimeout(r, 1500));
      const before = got.length;
      await dev.publishAsync('cg/v1/devices/noisy-1/events/scan', JSON.stringify({ code: 'AFTER' }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 100));
      expect(got.length).toBe(before + 1);
    } finally {
      await g.stop();
    }
  });
});
