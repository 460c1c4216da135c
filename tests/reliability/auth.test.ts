/**
 * Auth: a gateway (in process, its pino log captured at trace level) with two kits, a
 * locker bank (Kerong KR-CU16 played by the LockBoardLine stub on a socat pty) and its
 * terminal, an operator, and HTTP sync to the reference dispatch with a token. Refused:
 * anonymous clients, wrong passwords (another device's password included), every publish
 * on another device's topics or outside a device's own, every subscription outside a
 * device's own commands, errors and kit, operator publishes that are not commands, a
 * device commanding a locker, a replayed locker `open` (the same id twice opens once),
 * collection codes guessed through `scan` events (the lockout counts them too, and a
 * stranger's /healthz tells nothing of it), a device taking another principal's
 * persistent session by its client id (it gets a fresh one and none of the queued
 * messages), and a device opening more connections to get more than its rate (the limit
 * is the principal's).
 * And no secret — device and operator passwords, the dispatch token, a collection code —
 * appears anywhere in the log.
 */
import { Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { hashPassword } from '../../core/passwords.js';
import { startDispatchSim, type DispatchSim } from '../../simulators/dispatch/index.js';
import { collect, metricValue, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ptyPair, type PtyPair } from '../helpers/pty.js';
import { countBytes, LockBoardPeer, PeerPort, sleep, waitUntil } from '../helpers/device-peer.js';

const UNLOCK_A03 = Uint8Array.from([0x02, 0x12, 0x31, 0x03, 0x48]);
const secret = (label: string) => `${label}-${randomBytes(9).toString('base64url')}`;
const passwords: Record<string, string> = {
  'scanner-1': secret('pw-scanner1'),
  'scale-1': secret('pw-scale1'),
  'scanner-2': secret('pw-scanner2'),
  'terminal-1': secret('pw-terminal1'),
  'terminal-2': secret('pw-terminal2'),
  tech: secret('pw-operator'),
};
const TOKEN = secret('dispatch-token');
const COLLECTION_CODE = `${Math.floor(10_000_000 + Math.random() * 89_999_999)}`;

let logText = '';
const logSink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    logText += chunk.toString('utf8');
    cb();
  },
});

let work: string;
let pair: PtyPair;
let port: PeerPort;
let board: LockBoardPeer;
let dispatch: DispatchSim;
let t: TestGateway;
const clients: MqttClient[] = [];

/** connects; resolves the client, or rejects with the broker's refusal */
function connect(username?: string, password?: string): Promise<MqttClient> {
  const c = mqtt.connect(t.mqttUrl, { username, password, reconnectPeriod: 0, connectTimeout: 3000 });
  clients.push(c);
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('error', (err) => reject(err));
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'cg-rel-auth-'));
  pair = await ptyPair(work, 'rs485');
  port = await PeerPort.open(pair.peer, 19200);
  board = new LockBoardPeer(port, { boards: [1], lockedBit: 0, user: { closeAfterMs: 500, parcel: 'put' } });
  dispatch = await startDispatchSim({ token: TOKEN });
  await dispatch.addDownlink({
    gatewayId: 'gw-test',
    items: [{ id: 'code-1', kind: 'collection.code', bank: 'bank-1', courier: 'courier-7', code: COLLECTION_CODE, expiresAt: new Date(Date.now() + 3_600_000).toISOString() }],
  });
  const hashes = Object.fromEntries(await Promise.all(Object.entries(passwords).map(async ([id, pw]) => [id, await hashPassword(pw)] as const)));
  const device = (id: string, kind: string, kit: string, extra: object = {}) => ({ id, kind, kit, credentials: { passwordHash: hashes[id] }, ...extra });
  t = await startTestGateway(
    {
      gateway: { logLevel: 'trace' },
      mqtt: { rateLimit: { perSecond: 20, burst: 40 } },
      operators: [{ username: 'tech', passwordHash: hashes.tech }],
      kits: [{ id: 'van-1' }, { id: 'van-2' }, { id: 'branch-1' }],
      devices: [
        device('scanner-1', 'scanner', 'van-1'),
        device('scale-1', 'scale', 'van-1'),
        device('scanner-2', 'scanner', 'van-2'),
        device('terminal-1', 'terminal', 'branch-1', { lockerBank: 'bank-1' }),
        device('terminal-2', 'terminal', 'branch-1', { lockerBank: 'bank-1' }),
        {
          id: 'bank-1', kind: 'locker', kit: 'branch-1', protocol: 'kerong-cu16',
          transport: { type: 'serial', path: pair.device, baudRate: 19200 },
          lockedBit: 0, pollMs: 100,
          compartments: [{ id: 'A01', board: 1, lock: 1, size: 'S' }, { id: 'A03', board: 1, lock: 3, size: 'M' }],
        },
      ],
      dispatch: { transport: 'http', url: dispatch.url, token: TOKEN },
    },
    { log: pino({ level: 'trace' }, logSink) },
  );
  await waitUntil(() => (t.gateway.component('sync')?.status?.() as { applied?: number } | undefined)?.applied === 1, 'the collection code from dispatch applied', 10_000);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  board?.stop();
  await t?.stop();
  await dispatch?.close();
  await port?.close();
  await pair?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('auth: connections', () => {
  it('refuses an anonymous client', async () => {
    await expect(connect()).rejects.toThrow(/not authorized|bad user ?name or password|closed/i);
    await expect(connect(undefined, 'x')).rejects.toThrow();
  });

  it('refuses a wrong password, an unknown user, and another device’s password', async () => {
    const before = await metricValue(t.httpUrl, 'cg_auth_refused_total');
    await expect(connect('scanner-1', 'not-the-password')).rejects.toThrow(/bad user ?name or password|not authorized/i);
    await expect(connect('nobody', passwords['scanner-1'])).rejects.toThrow(/bad user ?name or password|not authorized/i);
    await expect(connect('scanner-1', passwords['scale-1'])).rejects.toThrow(/bad user ?name or password|not authorized/i);
    await expect(connect('tech', passwords['scanner-1'])).rejects.toThrow(/bad user ?name or password|not authorized/i);
    expect(await metricValue(t.httpUrl, 'cg_auth_refused_total')).toBe(before + 4);
  });
});

describe('auth: publish and subscribe', () => {
  it('refuses every subscription outside a device’s own commands, errors and kit', async () => {
    const scanner = await connect('scanner-1', passwords['scanner-1']);
    const refusedFilters = [
      '#', 'cg/#', 'cg/v1/#', 'cg/v1/devices/#', 'cg/v1/devices/+/commands/#', 'cg/v1/devices/scale-1/commands/#',
      'cg/v1/devices/scale-1/errors', 'cg/v1/devices/scale-1/events/#', 'cg/v1/devices/scanner-1/events/#', 'cg/v1/kits/van-2/#',
      'cg/v1/kits/+/verdicts', 'cg/v1/gateway/status', '$SYS/#', '$CG/refused/#', 'cg/v1/devices/bank-1/commands/open',
    ];
    for (const filter of refusedFilters) {
      // a refused subscription is a SUBACK of 128 (mqtt.js rejects the promise with it)
      const granted = await scanner.subscribeAsync(filter, { qos: 1 }).then(
        (g) => g[0]?.qos,
        (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0],
      );
      expect(granted, `subscription to ${filter}`).toBe(128);
    }
    expect(scanner.connected).toBe(true);
    for (const filter of ['cg/v1/devices/scanner-1/commands/#', 'cg/v1/devices/scanner-1/errors', 'cg/v1/kits/van-1/#', 'cg/v1/kits/van-1/verdicts']) {
      const granted = await scanner.subscribeAsync(filter, { qos: 1 });
      expect(granted[0]?.qos, `subscription to ${filter}`).toBe(1);
    }
  });

  it('refuses every publish on another device’s topics or outside the device’s own status and events; nothing reaches a subscriber or the pipeline', async () => {
    const op = await connect('tech', passwords.tech);
    const seen = await collect(op, '#');
    const scanner = await connect('scanner-1', passwords['scanner-1']);
    const errors = await collect(scanner, 'cg/v1/devices/scanner-1/errors');
    const before = await metricValue(t.httpUrl, 'cg_acl_refused_total', { action: 'publish' });
    const attempts: [string, object][] = [
      ['cg/v1/devices/scale-1/events/weight', { grams: 1000, stable: true }],
      ['cg/v1/devices/scanner-2/events/scan', { code: 'RB123456785GB' }],
      ['cg/v1/devices/scale-1/status', { state: 'offline' }],
      ['cg/v1/devices/scanner-1/commands/feedback', { beep: 'ok' }],
      ['cg/v1/devices/bank-1/commands/open', { id: 'dev-cmd', compartment: 'A03', expiresAt: new Date(Date.now() + 60_000).toISOString() }],
      ['cg/v1/devices/scanner-2/errors', { error: 'X' }],
      ['cg/v1/kits/van-1/verdicts', { type: 'recorded', recorded: true }],
      ['cg/v1/kits/van-2/tasks', { tasks: [] }],
      ['cg/v1/gateway/status', { state: 'running' }],
      ['$CG/refused/cg/v1/devices/scale-1/events/weight', { grams: 1000, stable: true }],
      ['other/topic', {}],
    ];
    // every forged payload carries a marker no genuine message has
    for (const [topic, payload] of attempts) await scanner.publishAsync(topic, JSON.stringify({ ...payload, forged: true }), { qos: 1 });
    // an operator publishes only commands
    await op.publishAsync('cg/v1/devices/scanner-1/events/scan', JSON.stringify({ code: 'RB123456785GB', forged: true }), { qos: 1 });
    await op.publishAsync('cg/v1/kits/van-1/verdicts', JSON.stringify({ type: 'verdict', forged: true }), { qos: 1 });
    await sleep(400);
    const leaked = seen.messages.filter((m) => (m.payload as { forged?: boolean } | null)?.forged === true);
    expect(leaked.map((m) => m.topic)).toEqual([]);
    expect(scanner.connected).toBe(true);
    // each of the device's attempts and the operator's two are counted; the device hears NOT_ALLOWED for each of its own
    expect(await metricValue(t.httpUrl, 'cg_acl_refused_total', { action: 'publish' })).toBe(before + attempts.length + 2);
    expect(errors.messages.filter((m) => (m.payload as { error?: string }).error === 'NOT_ALLOWED')).toHaveLength(attempts.length);
    // the pipeline saw nothing: no verdict for either kit
    expect(seen.messages.filter((m) => m.topic.endsWith('/verdicts'))).toEqual([]);
    expect(countBytes(port.received, UNLOCK_A03)).toBe(0);
  });
});

/** connects with a persistent session under a chosen client id; records messages from the first byte */
function connectPersistent(username: string, clientId: string): Promise<{ client: MqttClient; sessionPresent: boolean; received: string[] }> {
  const c = mqtt.connect(t.mqttUrl, { username, password: passwords[username], clientId, clean: false, reconnectPeriod: 0, connectTimeout: 3000 });
  clients.push(c);
  const received: string[] = [];
  c.on('message', (topic) => received.push(topic));
  return new Promise((resolve, reject) => {
    c.once('connect', (connack) => resolve({ client: c, sessionPresent: connack.sessionPresent, received }));
    c.once('error', reject);
  });
}

describe('auth: persistent sessions', () => {
  it("gives a device taking another device's or the operator's client id a fresh session and none of the queued messages", async () => {
    const owners: [string, string][] = [['scanner-1', 'cg/v1/kits/van-1/#'], ['tech', 'cg/v1/devices/+/commands/#']];
    for (const [owner, filter] of owners) {
      const clientId = `taken-by-scanner-2-from-${owner}`;
      const first = await connectPersistent(owner, clientId);
      await first.client.subscribeAsync(filter, { qos: 1 });
      await first.client.endAsync();
      await t.gateway.broker.publish('cg/v1/kits/van-1/verdicts', { type: 'verdict', queued: true }, { qos: 1 });
      await t.gateway.broker.publish('cg/v1/devices/scale-1/commands/feedback', { beep: 'ok', queued: true }, { qos: 1 });
      const thief = await connectPersistent('scanner-2', clientId);
      await sleep(300);
      expect(thief.sessionPresent, `session of ${owner}`).toBe(false);
      expect(thief.received, `queued for ${owner}`).toEqual([]);
      await thief.client.endAsync();
    }
  });
});

describe('auth: rate limit per principal', () => {
  it('holds a device to its rate over every connection it opens', async () => {
    const got: unknown[] = [];
    t.gateway.bus.on('auth-rate', 'device-event', (e) => {
      if (e.deviceId === 'scale-1') got.push(e);
    });
    const conns = await Promise.all([1, 2, 3, 4, 5].map(async (i) => {
      const c = mqtt.connect(t.mqttUrl, { username: 'scale-1', password: passwords['scale-1'], clientId: `scale-1-${i}`, reconnectPeriod: 0 });
      clients.push(c);
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('error', reject);
      });
      return c;
    }));
    await Promise.all(conns.flatMap((c) => Array.from({ length: 40 }, (_, j) => c.publishAsync('cg/v1/devices/scale-1/events/weight', JSON.stringify({ grams: 100 + j, stable: false }), { qos: 0 }))));
    await sleep(500);
    t.gateway.bus.off('auth-rate');
    // the burst of 40 and about 10 more at 20/s, not 5 × 40
    expect(got.length).toBeGreaterThanOrEqual(40);
    expect(got.length).toBeLessThanOrEqual(55);
    await Promise.all(conns.map((c) => c.endAsync(true)));
  });
});

describe('auth: replayed locker command', () => {
  it('opens A03 once when the same open command is published twice', async () => {
    const op = await connect('tech', passwords.tech);
    const status = await collect(op, 'cg/v1/devices/bank-1/status');
    await status.next((m) => (m.payload as { state?: string }).state === 'online', 5000);
    const cmd = JSON.stringify({ id: 'cmd-replay', compartment: 'A03', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await op.publishAsync('cg/v1/devices/bank-1/commands/open', cmd, { qos: 1 });
    await status.next((m) => (m.payload as { lastCommand?: { id?: string; ok?: boolean } }).lastCommand?.id === 'cmd-replay', 5000);
    await op.publishAsync('cg/v1/devices/bank-1/commands/open', cmd, { qos: 1 });
    const dup = await status.next((m) => (m.payload as { lastCommand?: { id?: string; error?: string } }).lastCommand?.error === 'DUPLICATE', 5000);
    expect((dup.payload as { lastCommand: { id: string; ok: boolean } }).lastCommand).toMatchObject({ id: 'cmd-replay', ok: false });
    await sleep(500);
    expect(countBytes(port.received, UNLOCK_A03)).toBe(1);
    expect(board.line.heard.filter((f) => f.type === 'unlock')).toHaveLength(1);
  });
});

describe('auth: collection codes guessed through scans', () => {
  it('locks the terminal after 5 of 30 wrong codes sent as events/scan; the right code scanned then opens nothing; /healthz without auth shows no tries', async () => {
    const terminal = await connect('terminal-2', passwords['terminal-2']);
    const feedback = await collect(terminal, 'cg/v1/devices/terminal-2/commands/feedback');
    const unlocksBefore = board.line.heard.filter((f) => f.type === 'unlock').length;
    for (let i = 0; i < 30; i++) {
      await terminal.publishAsync('cg/v1/devices/terminal-2/events/scan', JSON.stringify({ code: `${10_000_000 + i}` }), { qos: 1 });
    }
    await waitUntil(() => feedback.messages.length >= 30, '30 answers', 5000);
    const results = feedback.messages.map((m) => (m.payload as { result: string }).result);
    expect(results.slice(0, 4)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(results.slice(4)).toEqual(Array(26).fill('locked-out'));
    await terminal.publishAsync('cg/v1/devices/terminal-2/events/scan', JSON.stringify({ code: COLLECTION_CODE }), { qos: 1 });
    const answer = await feedback.next((m) => feedback.messages.indexOf(m) === 30, 3000);
    expect(answer.payload).toMatchObject({ result: 'locked-out', reasons: ['LOCKED_OUT'] });
    await sleep(300);
    expect(board.line.heard.filter((f) => f.type === 'unlock').length).toBe(unlocksBefore);
    const health = await (await fetch(`${t.httpUrl}/healthz`)).text();
    expect(JSON.parse(health)).toEqual({ status: 'ok', failed: [] });
    expect(health).not.toMatch(/wrongCodes|lockedUntil|attemptsLeft/);
  });
});

describe('auth: no secret in the log', () => {
  it('keeps passwords, the dispatch token and collection codes out of the log while they are used', async () => {
    // the collection code is entered on the terminal: right, then wrong until the terminal locks out
    const terminal = await connect('terminal-1', passwords['terminal-1']);
    const answers = await collect(terminal, 'cg/v1/devices/terminal-1/commands/#');
    await terminal.publishAsync('cg/v1/devices/terminal-1/events/code', JSON.stringify({ code: COLLECTION_CODE }), { qos: 1 });
    await answers.next(() => true, 3000);
    for (let i = 1; i <= 5; i++) {
      await terminal.publishAsync('cg/v1/devices/terminal-1/events/code', JSON.stringify({ code: `${COLLECTION_CODE}${i}` }), { qos: 1 });
    }
    await answers.next((m) => JSON.stringify(m.payload).includes('WRONG_CODE'), 3000);
    // dispatch refuses the token for a while: the syncer logs the failure
    dispatch.setFaults({ unauthorized: true });
    const scanner = await connect('scanner-1', passwords['scanner-1']);
    await scanner.publishAsync('cg/v1/devices/scanner-1/events/exception', JSON.stringify({ taskId: 'T-x', reason: 'other' }), { qos: 1 });
    await waitUntil(() => logText.includes("refused the gateway's credentials"), 'the sync auth failure in the log', 5000);
    dispatch.setFaults({ unauthorized: false });
    expect(logText.length).toBeGreaterThan(1000);
    expect(logText).toMatch(/refused/);
    const secrets = { ...passwords, token: TOKEN, collectionCode: COLLECTION_CODE };
    const found = Object.entries(secrets).filter(([, s]) => logText.includes(s));
    expect(found.map(([name]) => name)).toEqual([]);
    // nor the codes' hashes' raw material in another spelling
    expect(logText.includes(Buffer.from(TOKEN).toString('base64'))).toBe(false);
  });
});
