/**
 * Who may read the gateway's HTTP side: a stranger gets /healthz's status only, every
 * other route needs a bearer token from `http.apiTokens` or a dashboard session, and
 * what a device last sent is shown redacted even then.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hashPasswordSync } from '../../core/passwords.js';
import { API_TOKEN, authFetch, DEVICE_PASSWORD, OPERATOR_PASSWORD, operatorHash, startTestGateway, testHash, type TestGateway } from '../helpers/gateway.js';

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const devices = [
  { id: 'terminal-1', kind: 'terminal', kit: 'branch-1', credentials: { passwordHash: testHash() } },
  { id: 'gps-1', kind: 'gps', kit: 'van-1', credentials: { passwordHash: testHash() } },
];

async function start(http: Record<string, unknown> = {}): Promise<TestGateway> {
  t = await startTestGateway({ operators: [{ username: 'tech', passwordHash: operatorHash() }], devices, ...(Object.keys(http).length ? { http } : {}) });
  return t;
}

/** waits until the device manager shows the device's last event of this type */
async function lastEvent(g: TestGateway, id: string, type: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (g.gateway.devices.list().find((d) => d.id === id)?.lastEvent?.type === type) return;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no ${type} event of ${id}`);
}

describe('HTTP access', () => {
  it('refuses /status/devices/<id> without a token and masks the collection code a terminal just sent with one', async () => {
    const g = await start();
    const terminal = await g.connect('terminal-1', DEVICE_PASSWORD);
    await terminal.publishAsync('cg/v1/devices/terminal-1/events/code', JSON.stringify({ code: '48291376' }), { qos: 1 });
    await lastEvent(g, 'terminal-1', 'code');

    const anonymous = await fetch(`${g.httpUrl}/status/devices/terminal-1`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(await anonymous.text()).not.toContain('48291376');

    const wrong = await fetch(`${g.httpUrl}/status/devices/terminal-1`, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);

    const operator = await authFetch(`${g.httpUrl}/status/devices/terminal-1`);
    expect(operator.status).toBe(200);
    const text = await operator.text();
    expect(text).not.toContain('48291376');
    expect(JSON.parse(text)).toMatchObject({ id: 'terminal-1', lastEvent: { type: 'code', payload: { code: '•••' } } });
  });

  it('masks a code scanned on a terminal (it may be a collection code)', async () => {
    const g = await start();
    const terminal = await g.connect('terminal-1', DEVICE_PASSWORD);
    await terminal.publishAsync('cg/v1/devices/terminal-1/events/scan', JSON.stringify({ code: '77120044' }), { qos: 1 });
    await lastEvent(g, 'terminal-1', 'scan');
    const body = await (await authFetch(`${g.httpUrl}/status/devices/terminal-1`)).text();
    expect(body).not.toContain('77120044');
  });

  it('tells a stranger on /healthz only the status and the failing parts; an operator sees devices, checks and components', async () => {
    const g = await start();
    const anonymous = await fetch(`${g.httpUrl}/healthz`);
    expect(anonymous.status).toBe(200);
    const open = (await anonymous.json()) as Record<string, unknown>;
    expect(open).toEqual({ status: 'ok', failed: [] });
    const text = JSON.stringify(open);
    for (const leak of ['terminal-1', g.dataDir, 'components', 'devices', 'clients']) expect(text).not.toContain(leak);

    const full = (await (await authFetch(`${g.httpUrl}/healthz`)).json()) as { status: string; devices: { id: string }[]; checks: Record<string, unknown>; components: Record<string, unknown> };
    expect(full.status).toBe('ok');
    expect(full.devices.map((d) => d.id)).toEqual(['terminal-1', 'gps-1']);
    expect(full.checks).toHaveProperty('dataDir');
    expect(full.components).toHaveProperty('dashboard');
  });

  it('says failing with 503 and the failing part without auth', async () => {
    const g = await start();
    g.gateway.http.addHealthCheck({ name: 'journal', check: () => ({ ok: false, detail: { path: '/secret/path' } }) });
    const res = await fetch(`${g.httpUrl}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'failing', failed: ['journal'] });
  });

  it('serves /metrics to an operator only, unless http.publicMetrics is set', async () => {
    const g = await start();
    expect((await fetch(`${g.httpUrl}/metrics`)).status).toBe(401);
    expect((await authFetch(`${g.httpUrl}/metrics`)).status).toBe(200);
    await g.stop();
    t = undefined;
    const open = await start({ publicMetrics: true });
    const res = await fetch(`${open.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('cg_mqtt_clients_connected');
    expect((await fetch(`${open.httpUrl}/status/devices/gps-1`)).status).toBe(401);
  });

  it('accepts an operator\'s dashboard session on the other routes, and no longer after logout', async () => {
    const g = await start();
    const login = await fetch(`${g.httpUrl}/dashboard/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'tech', password: OPERATOR_PASSWORD }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${g.httpUrl}/status/devices/gps-1`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${g.httpUrl}/dashboard/api/logout`, { method: 'POST', headers: { cookie } })).status).toBe(204);
    expect((await fetch(`${g.httpUrl}/status/devices/gps-1`, { headers: { cookie } })).status).toBe(401);
  });

  it('takes any of several configured tokens, each hashed', async () => {
    const other = 'second-operator-token-987654';
    const g = await start({ apiTokens: [{ name: 'grafana', tokenHash: hashPasswordSync(other) }, { name: 'tests', tokenHash: hashPasswordSync(API_TOKEN) }] });
    expect((await fetch(`${g.httpUrl}/status/devices/gps-1`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(200);
    expect((await authFetch(`${g.httpUrl}/status/devices/gps-1`)).status).toBe(200);
    expect(g.config.http.apiTokens.map((x) => x.tokenHash).join()).not.toContain(other);
  });
});
