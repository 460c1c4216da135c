import http from 'node:http';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Component } from '../../gateway/runtime.js';
import { DEVICE_PASSWORD, OPERATOR_PASSWORD, login, openStream, startDashboardGateway, type DashboardGateway, type SseEvent, type SseReader } from '../browser/dashboard-gateway.js';

let t: DashboardGateway | undefined;
const streams: SseReader[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await t?.stop();
  t = undefined;
});

async function stream(cookie: string): Promise<SseReader> {
  const s = await openStream(t!.httpUrl, cookie);
  streams.push(s);
  return s;
}

const api = (path: string, init: RequestInit = {}) => fetch(`${t!.httpUrl}/dashboard${path}`, init);
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  api(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const bus = (topic: string) => (e: SseEvent) => e.event === 'bus' && (e.data as { topic: string }).topic === topic;
const fakeJournal: Component = {
  name: 'journal',
  start: async () => undefined,
  stop: async () => undefined,
  status: () => ({ depth: { live: 1, records: 4, bulk: 12 }, oldestUnsentMs: 42_000, link: 'down' }),
};

describe('dashboard HTTP side', () => {
  it('serves the page and its assets without a session, self-contained and under a strict CSP', async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0 } });
    const root = await api('', { redirect: 'manual' });
    expect(root.status).toBe(303);
    expect(root.headers.get('location')).toBe('/dashboard/');
    const page = await api('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('<script src="app.js" defer></script>');
    expect(html).toContain('<script src="uplot.js" defer></script>');
    const js = await (await api('/app.js')).text();
    const css = await (await api('/app.css')).text();
    // the chart library comes from the gateway too (its licence header names its home page)
    const chartsJs = await api('/uplot.js');
    expect(chartsJs.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const chartLib = (await chartsJs.text()).replace(/\/\*![\s\S]*?\*\//, '');
    const chartCss = await (await api('/uplot.css')).text();
    expect(() => new vm.Script(js)).not.toThrow();
    expect(() => new vm.Script(chartLib)).not.toThrow();
    expect(chartLib).toContain('uPlot');
    expect(chartCss).toContain('.uplot');
    // the SVG namespace is a name, not an address
    for (const text of [html, js, css, chartLib, chartCss]) expect(text.split('http://www.w3.org/2000/svg').join('')).not.toMatch(/https?:\/\//);
    expect((await api('/nothing-here')).status).toBe(404);
  });

  it('answers 401 on every API and the stream without a session', async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0 } });
    for (const path of ['/api/session', '/api/snapshot', '/api/stream']) {
      const res = await api(path);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({ error: 'login required' });
    }
    expect((await api('/api/snapshot', { headers: { cookie: 'cg_dashboard=made-up-token' } })).status).toBe(401);
  });

  it('refuses a wrong password and an unknown user, and gives a strict HttpOnly cookie for the right one', async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0 } });
    const wrong = await post('/api/login', { username: 'tech', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect((await post('/api/login', { username: 'ghost', password: OPERATOR_PASSWORD })).status).toBe(401);
    // a device account is not an operator
    expect((await post('/api/login', { username: 'scanner-1', password: DEVICE_PASSWORD })).status).toBe(401);
    const ok = await post('/api/login', { username: 'tech', password: OPERATOR_PASSWORD });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ username: 'tech' });
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^cg_dashboard=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    const session = await api('/api/session', { headers: { cookie: cookie.split(';')[0] } });
    expect(session.status).toBe(200);
    expect((await session.json()) as { username: string }).toMatchObject({ username: 'tech' });
    const status = (await (await fetch(`${t.httpUrl}/healthz`, { headers: { cookie: cookie.split(';')[0]! } })).json()) as { components: { dashboard: unknown } };
    expect(status.components.dashboard).toEqual({ sessions: 1, streams: 0, failedLogins: 3, droppedEvents: 0 });
  });

  it('logs in from a plain HTML form and refuses a cross-origin login', async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0 } });
    const form = await api('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `username=tech&password=${encodeURIComponent(OPERATOR_PASSWORD)}`,
      redirect: 'manual',
    });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe('/dashboard/');
    expect(form.headers.get('set-cookie')).toMatch(/^cg_dashboard=/);
    const badForm = await api('/api/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=tech&password=x', redirect: 'manual' });
    expect(badForm.headers.get('location')).toBe('/dashboard/?login=failed');
    const cross = await post('/api/login', { username: 'tech', password: OPERATOR_PASSWORD }, { origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    expect(cross.headers.get('set-cookie')).toBeNull();
    expect((await api('/api/login')).status).toBe(405);
  });

  it('blocks a user name after repeated failures with 429 and Retry-After, even for the right password', async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0, freeFailures: 2, baseBlockMs: 60_000 } });
    expect((await post('/api/login', { username: 'tech', password: 'a' })).status).toBe(401);
    expect((await post('/api/login', { username: 'tech', password: 'b' })).status).toBe(401);
    expect((await post('/api/login', { username: 'tech', password: 'c' })).status).toBe(401);
    const blocked = await post('/api/login', { username: 'tech', password: OPERATOR_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('60');
    expect(blocked.headers.get('set-cookie')).toBeNull();
  });

  it('slows guessing one user name from many addresses: past the free failures every try waits, then the right password works again', async () => {
    let now = Date.now();
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0, freeFailures: 3, accountFreeFailures: 4, now: () => now } });
    const port = Number(new URL(t.httpUrl).port);
    // each guess from another loopback address: the per-address throttle never sees a second failure
    const from = (i: number, password: string) =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ username: 'tech', password });
        const req = http.request({ host: '127.0.0.1', port, localAddress: `127.0.0.${10 + i}`, method: 'POST', path: '/dashboard/api/login', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    const answers: number[] = [];
    for (let i = 0; i < 8; i++) answers.push(await from(i, `guess-${i}`));
    expect(answers.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(answers.slice(5)).toEqual([429, 429, 429]);
    // not a lockout: once the (short) wait is over the operator gets in
    now += 1_100;
    expect(await from(20, OPERATOR_PASSWORD)).toBe(200);
  });

  it('slows every refused login by the configured delay', async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 300 } });
    const started = performance.now();
    expect((await post('/api/login', { username: 'tech', password: 'nope' })).status).toBe(401);
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
  });
});

describe('dashboard live stream', () => {
  it('sends a snapshot, then a device going online, a verdict and the gateway status as they happen', async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0 }, components: [fakeJournal] });
    const s = await stream(await login(t.httpUrl));
    const snap = (await s.next((e) => e.event === 'snapshot')).data as {
      operator: string;
      gateway: { id: string };
      devices: { id: string; state: string; kind: string; kit: string }[];
      kits: { id: string; courierId: string; tasks: unknown; verdicts: unknown[] }[];
      status: { state: string; journal: unknown };
    };
    expect(s.events[0].event).toBe('snapshot');
    expect(snap.operator).toBe('tech');
    expect(snap.gateway).toEqual({ id: 'gw-dash' });
    expect(snap.devices.map((d) => [d.id, d.kind, d.kit, d.state])).toEqual([
      ['scanner-1', 'scanner', 'van-1', 'offline'],
      ['term-1', 'terminal', 'van-1', 'offline'],
    ]);
    expect(snap.kits).toEqual([{ id: 'van-1', courierId: 'c-17', tasks: null, verdicts: [] }]);
    expect(snap.status.state).toBe('running');
    expect(snap.status.journal).toEqual({ depth: { live: 1, records: 4, bulk: 12 }, oldestUnsentMs: 42_000, link: 'down' });

    const device = await t.connect('scanner-1', DEVICE_PASSWORD);
    const online = await s.next(bus('cg/v1/devices/scanner-1/status'));
    expect((online.data as { payload: { state: string; kit: string } }).payload).toMatchObject({ state: 'online', kit: 'van-1' });

    await device.publishAsync('cg/v1/devices/scanner-1/events/scan', JSON.stringify({ code: 'RB123456785GB', symbology: 'code128' }), { qos: 1 });
    const scan = await s.next(bus('cg/v1/devices/scanner-1/events/scan'));
    expect((scan.data as { payload: unknown }).payload).toEqual({ code: 'RB123456785GB', symbology: 'code128' });

    const verdict = { outcome: 'accepted', waybill: 'RB123456785GB', taskId: 'T-1', reasons: [], recorded: 'R-0001' };
    await t.gateway.broker.publish('cg/v1/kits/van-1/verdicts', verdict, { qos: 1 });
    // the scan is waiting for its weight first (a pending message on the same topic)
    const got = await s.next((e) => bus('cg/v1/kits/van-1/verdicts')(e) && (e.data as { payload: { type?: string } }).payload.type !== 'pending');
    expect((got.data as { payload: unknown }).payload).toEqual(verdict);

    await t.gateway.broker.publish('cg/v1/kits/van-1/tasks', { tasks: [{ id: 'T-1', waybill: 'RB123456785GB' }] }, { retain: true, qos: 1 });
    await s.next(bus('cg/v1/kits/van-1/tasks'));
    const later = (await (await api('/api/snapshot', { headers: { cookie: await login(t.httpUrl) } })).json()) as {
      devices: { id: string; state: string }[];
      kits: { tasks: unknown; verdicts: { kit: string; verdict: unknown }[] }[];
    };
    expect(later.devices.find((d) => d.id === 'scanner-1')!.state).toBe('online');
    // newest first: the verdict, then the scan's pending (waiting for weight) note
    expect(later.kits[0].verdicts.map((v) => v.verdict)).toEqual([verdict, expect.objectContaining({ type: 'pending', waitingFor: 'weight' })]);
    expect(later.kits[0].tasks).toEqual({ tasks: [{ id: 'T-1', waybill: 'RB123456785GB' }] });

    t.gateway.bus.emit('alarm', { kind: 'door-open', source: 'locker-1/A3', message: 'door A3 open for 5 min', active: true, at: Date.now() });
    const status = await s.next((e) => bus('cg/v1/gateway/status')(e) && ((e.data as { payload: { alarms: unknown[] } }).payload.alarms.length > 0));
    expect((status.data as { payload: { alarms: unknown } }).payload.alarms).toEqual([{ kind: 'door-open', source: 'locker-1/A3', message: 'door A3 open for 5 min' }]);

    await device.endAsync();
    const offline = await s.next((e) => bus('cg/v1/devices/scanner-1/status')(e) && (e.data as { payload: { state: string } }).payload.state === 'offline');
    expect((offline.data as { payload: { reason: string } }).payload.reason).toBe('disconnected');
  });

  it('masks collection codes and counts refused payloads per device', async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0 } });
    const cookie = await login(t.httpUrl);
    const s = await stream(cookie);
    await s.next((e) => e.event === 'snapshot');
    const term = await t.connect('term-1', DEVICE_PASSWORD);
    await term.publishAsync('cg/v1/devices/term-1/events/code', JSON.stringify({ code: '482913', bank: 'bank-A' }), { qos: 1 });
    const code = await s.next(bus('cg/v1/devices/term-1/events/code'));
    expect((code.data as { payload: unknown }).payload).toEqual({ code: '•••', bank: 'bank-A' });
    expect(JSON.stringify(s.events)).not.toContain('482913');

    await term.publishAsync('cg/v1/devices/term-1/events/weight', JSON.stringify({ grams: 'heavy' }), { qos: 1 });
    await s.next(bus('cg/v1/devices/term-1/errors'));
    const snap = (await (await api('/api/snapshot', { headers: { cookie } })).json()) as {
      devices: { id: string; errors: number; lastError?: { reason: string }; lastEvent?: { payload: unknown } }[];
    };
    const d = snap.devices.find((x) => x.id === 'term-1')!;
    expect(d.errors).toBe(1);
    expect(d.lastError!.reason).toMatch(/^grams: /);
    expect(d.lastEvent!.payload).toEqual({ code: '•••', bank: 'bank-A' });
    expect(JSON.stringify(snap)).not.toContain('482913');
    expect(JSON.stringify(snap)).not.toContain('scrypt$');
  });

  it('ends the stream of a session that logs out and refuses its cookie afterwards', async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0 } });
    const cookie = await login(t.httpUrl);
    const s = await stream(cookie);
    await s.next((e) => e.event === 'snapshot');
    const out = await api('/api/logout', { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toBe('cg_dashboard=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict');
    expect((await s.next((e) => e.event === 'expired')).data).toEqual({ reason: 'logged out' });
    await s.ended;
    expect((await api('/api/snapshot', { headers: { cookie } })).status).toBe(401);
  });

  it('ends a stream when its session reaches its maximum age, and refuses streams over the limit', async () => {
    const clock = { t: Date.now() };
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0, sessionMaxAgeMs: 60_000, heartbeatMs: 20, maxStreams: 1, now: () => clock.t } });
    const cookie = await login(t.httpUrl);
    const s = await stream(cookie);
    await s.next((e) => e.event === 'snapshot');
    const second = await api('/api/stream', { headers: { cookie } });
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('10');
    clock.t += 59_999;
    expect((await api('/api/session', { headers: { cookie } })).status).toBe(200);
    clock.t += 1;
    expect((await s.next((e) => e.event === 'expired')).data).toEqual({ reason: 'session expired' });
    await s.ended;
    expect((await api('/api/session', { headers: { cookie } })).status).toBe(401);
  });

  it("answers a device's page with its recent messages, redacted, and never a terminal's raw frames", async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0 } });
    const cookie = await login(t.httpUrl);
    expect((await api('/api/devices/term-1')).status).toBe(401);
    expect((await api('/api/devices/nope', { headers: { cookie } })).status).toBe(404);
    const term = await t.connect('term-1', DEVICE_PASSWORD);
    const scanner = await t.connect('scanner-1', DEVICE_PASSWORD);
    await term.publishAsync('cg/v1/devices/term-1/events/code', JSON.stringify({ code: '482913', bank: 'bank-A' }), { qos: 1 });
    await scanner.publishAsync('cg/v1/devices/scanner-1/events/scan', JSON.stringify({ code: 'RB123456785GB' }), { qos: 1 });
    type Page = { id: string; messages: { topic: string; payload: unknown }[]; frames: unknown[] | null; framesWithheld?: string };
    const page = async (id: string) => (await (await api(`/api/devices/${id}`, { headers: { cookie } })).json()) as Page;
    await expect.poll(async () => (await page('scanner-1')).messages.map((m) => m.topic)).toContain('cg/v1/devices/scanner-1/events/scan');
    const sc = await page('scanner-1');
    // an MQTT-native device has no transport of the gateway's to tap
    expect(sc.frames).toBeNull();
    expect(sc.messages.every((m) => m.topic.startsWith('cg/v1/devices/scanner-1/'))).toBe(true);
    const tp = await page('term-1');
    expect(tp.framesWithheld).toBeDefined();
    expect(tp.messages.find((m) => m.topic.endsWith('/events/code'))!.payload).toEqual({ code: '•••', bank: 'bank-A' });
    expect(JSON.stringify(tp)).not.toContain('482913');
  });

  it("sends the day's figures, ETAs and exceptions from the records the journal keeps", async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0, deviceRefreshMs: 20 } });
    const s = await stream(await login(t.httpUrl));
    await s.next((e) => e.event === 'snapshot');
    const createdAt = new Date().toISOString();
    t.gateway.bus.emit('record-kept', { id: 'r1', kind: 'pickup.exception', kit: 'van-1', createdAt, body: { taskId: 'T-7', customer: 'Acme', waybill: null, reason: 'customer-absent', note: null } });
    t.gateway.bus.emit('record-kept', { id: 'r2', kind: 'eta.update', kit: 'van-1', createdAt, body: { taskId: 'T-7', eta: createdAt, distanceM: 300 } });
    type Live = { figures: { stops: number; exceptions: { byReason: Record<string, { count: number }> } } | null; exceptions: { taskId: string; customer: string; reason: string }[]; etas: Record<string, { taskId: string }[]> };
    const live = (await s.next((e) => e.event === 'live' && (e.data as Live).figures !== null && (e.data as Live).exceptions.length > 0 && (e.data as Live).etas['van-1'] !== undefined)).data as Live;
    expect(live.figures!.stops).toBe(1);
    expect(live.figures!.exceptions.byReason['customer-absent']!.count).toBe(1);
    expect(live.exceptions[0]).toMatchObject({ taskId: 'T-7', customer: 'Acme', reason: 'customer-absent' });
    expect(live.etas['van-1']).toEqual([{ taskId: 'T-7', eta: createdAt, distanceM: 300, at: createdAt }]);
  });

  it('re-sends the device list when a device counter or reading changed', async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0, deviceRefreshMs: 20 } });
    const s = await stream(await login(t.httpUrl));
    await s.next((e) => e.event === 'snapshot');
    const scanner = await t.connect('scanner-1', DEVICE_PASSWORD);
    await scanner.publishAsync('cg/v1/devices/scanner-1/events/scan', JSON.stringify({ code: 'RB123456785GB' }), { qos: 1 });
    type Update = { devices: { id: string; state: string; lastEvent?: { type: string; payload: unknown } }[]; alarms: unknown[] };
    const update = await s.next((e) => e.event === 'devices' && (e.data as Update).devices.some((d) => d.id === 'scanner-1' && d.lastEvent !== undefined));
    const d = (update.data as Update).devices.find((x) => x.id === 'scanner-1')!;
    expect(d.state).toBe('online');
    expect(d.lastEvent).toMatchObject({ type: 'scan', payload: { code: 'RB123456785GB' } });
    expect((update.data as Update).alarms).toEqual([]);
  });

  it('closes open streams when the gateway stops', async () => {
    t = await startDashboardGateway({}, { dashboard: { failureDelayMs: 0 } });
    const s = await stream(await login(t.httpUrl));
    await s.next((e) => e.event === 'snapshot');
    await t.stop();
    t = undefined;
    await s.ended;
  });
});
