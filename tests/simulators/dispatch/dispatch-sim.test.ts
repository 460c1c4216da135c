import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatchSimOptionsFromArgv, startDispatchSim, type DispatchSim } from '../../../simulators/dispatch/index.js';
import { envelopeProblem, RecordStore } from '../../../simulators/dispatch/store.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function sim(opts: Parameters<typeof startDispatchSim>[0] = {}): Promise<DispatchSim> {
  const s = await startDispatchSim({ token: 'tok', ...opts });
  cleanups.push(() => s.close());
  return s;
}

function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cg-dispatch-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function rec(id: string, seq: number, over: Record<string, unknown> = {}) {
  return {
    id,
    kind: 'pickup.completed',
    gatewayId: 'gw-1',
    stream: 'kit-1',
    seq,
    createdAt: '2024-05-01T10:00:00.000Z',
    clock: 'ntp',
    bootId: 'b1',
    monoMs: 5,
    body: { waybill: `W${seq}` },
    ...over,
  };
}

const post = (d: DispatchSim, records: unknown[], token = 'tok') =>
  fetch(`${d.url}/gateways/gw-1/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ records }),
  });

describe('reference dispatch: record store', () => {
  it('names what is wrong with an envelope', () => {
    expect(envelopeProblem(rec('a', 1), 'gw-1')).toBeUndefined();
    expect(envelopeProblem(rec('a', 1), 'gw-2')).toBe("GATEWAY_MISMATCH: record of 'gw-1' sent as 'gw-2'");
    expect(envelopeProblem(rec('a', 0), 'gw-1')).toBe('SEQ_INVALID: seq must be an integer from 1');
    expect(envelopeProblem(rec('a', 1, { clock: 'sundial' }), 'gw-1')).toBe('CLOCK_INVALID: clock must be ntp, gps or unsynced');
    expect(envelopeProblem(rec('a', 1, { createdAt: 'yesterday' }), 'gw-1')).toMatch(/^CREATED_AT_INVALID/);
    expect(envelopeProblem(rec('a', 1, { body: [] }), 'gw-1')).toMatch(/^BODY_INVALID/);
    expect(envelopeProblem(rec('a', 1, { stream: '' }), 'gw-1')).toMatch(/^STREAM_MISSING/);
  });

  it('counts the gaps of live records that are never coalesced (customer feedback) and counts them per kind', () => {
    const s = new RecordStore();
    s.accept('gw-1', [rec('a', 1, { stream: 'feedback:bank-1', kind: 'customer.feedback' }), rec('b', 3, { stream: 'feedback:bank-1', kind: 'customer.feedback' }), rec('c', 1, { stream: 'bank-1', kind: 'consent.missing' })]);
    const sum = s.summary();
    expect(sum.perKind).toEqual({ 'customer.feedback': 2, 'consent.missing': 1 });
    expect(sum.streams['gw-1/feedback:bank-1']).toEqual({ count: 2, maxSeq: 3, missingCount: 1, missing: [2] });
    expect(sum.gapCount).toBe(1);
  });

  it('dedups by id, counts duplicates and records changed under the same id, finds seq gaps', () => {
    const s = new RecordStore();
    const a = s.accept('gw-1', [rec('a', 1), rec('b', 2), rec('d', 5), rec('x', 1, { kind: 'nope' }), { no: 'id' }]);
    expect(a).toEqual({ acked: ['a', 'b', 'd'], rejected: [{ id: 'x', reason: "KIND_UNKNOWN: 'nope' is not a record kind" }] });
    const b = s.accept('gw-1', [rec('a', 1), { ...rec('b', 2), body: { waybill: 'CHANGED' } }, rec('e', 1, { stream: 'scale-1', kind: 'device.health', coalesceKey: 'health:scale-1' }), rec('f', 4, { stream: 'scale-1', kind: 'device.health', coalesceKey: 'health:scale-1' })]);
    expect(b.acked).toEqual(['a', 'b', 'e', 'f']);
    const sum = s.summary();
    expect(sum).toEqual({
      distinctIds: 5,
      received: 8,
      perKind: { 'pickup.completed': 3, 'device.health': 2 },
      duplicates: 2,
      changedUnderSameId: 1,
      rejected: 1,
      malformed: 1,
      streams: {
        'gw-1/kit-1': { count: 3, maxSeq: 5, missingCount: 2, missing: [3, 4] },
        // live records may be coalesced away: their gaps are shown but not counted
        'gw-1/scale-1': { count: 2, maxSeq: 4, missingCount: 2, missing: [2, 3], lossy: true },
      },
      gapCount: 2,
    });
    // the first version is what is kept
    expect(s.records({ kind: 'pickup.completed' }).map((r) => (r.body as { waybill: string }).waybill)).toEqual(['W1', 'W2', 'W5']);
  });

  it('treats the same record with its keys in another order as the same', () => {
    const s = new RecordStore();
    const r = rec('a', 1);
    const reordered = Object.fromEntries(Object.entries(r).reverse());
    s.accept('gw-1', [r, reordered]);
    expect(s.summary()).toMatchObject({ duplicates: 1, changedUnderSameId: 0 });
  });
});

describe('reference dispatch: HTTP API', () => {
  it('requires the bearer token and answers acked/rejected', async () => {
    const d = await sim();
    expect((await post(d, [rec('a', 1)], 'nope')).status).toBe(401);
    const res = await post(d, [rec('a', 1), rec('b', 1, { gatewayId: 'gw-9' })]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ acked: ['a'], rejected: [{ id: 'b', reason: "GATEWAY_MISMATCH: record of 'gw-9' sent as 'gw-1'" }] });
    const bad = await fetch(`${d.url}/gateways/gw-1/records`, { method: 'POST', headers: { authorization: 'Bearer tok' }, body: '{"records":3}' });
    expect(bad.status).toBe(400);
  });

  it('serves the summary and records by kind over the admin API', async () => {
    const d = await sim();
    await post(d, [rec('a', 1), rec('b', 2, { kind: 'pickup.exception' })]);
    const sum = (await (await fetch(`${d.url}/admin/summary`)).json()) as { distinctIds: number; perKind: unknown };
    expect(sum.distinctIds).toBe(2);
    expect(sum.perKind).toEqual({ 'pickup.completed': 1, 'pickup.exception': 1 });
    const got = (await (await fetch(`${d.url}/admin/records?kind=pickup.exception`)).json()) as { records: { id: string }[] };
    expect(got.records.map((r) => r.id)).toEqual(['b']);
    expect((await fetch(`${d.url}/admin/nothing`)).status).toBe(404);
  });

  it('injects faults set by admin call: down with Retry-After, errors, dropped connections, slowness', async () => {
    const d = await sim({ random: () => 0.3 });
    const setF = async (f: unknown) => fetch(`${d.url}/admin/faults`, { method: 'POST', body: JSON.stringify(f) });
    expect((await setF({ errorRate: 2 })).status).toBe(400);
    expect((await setF({ bogus: true })).status).toBe(400);
    await setF({ down: true, retryAfterSeconds: 12 });
    const down = await post(d, [rec('a', 1)]);
    expect([down.status, down.headers.get('retry-after')]).toEqual([503, '12']);
    await setF({ down: false, errorRate: 0.5 });
    expect((await post(d, [rec('a', 1)])).status).toBe(500);
    await setF({ errorRate: 0.2 });
    expect((await post(d, [rec('a', 1)])).status).toBe(200);
    await setF({ dropConnections: true });
    await expect(post(d, [rec('a', 1)])).rejects.toThrow('fetch failed');
    await setF({ dropConnections: false, slowMs: 150 });
    const t0 = performance.now();
    expect((await post(d, [rec('a', 1)])).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(d.summary().requests).toMatchObject({ records: 5, faulted: 3 });
  });

  it('feeds the downlink from a file and from the admin API, per gateway, with a cursor', async () => {
    const dir = tmp();
    const file = join(dir, 'feed.json');
    writeFileSync(file, JSON.stringify([{ gatewayId: 'gw-1', items: [{ id: 'f1', kind: 'task.cancel', taskId: 't1' }] }]));
    const d = await sim({ downlinkFile: file });
    const poll = (after: string) => fetch(`${d.url}/gateways/gw-1/downlink?after=${after}&waitSeconds=0`, { headers: { authorization: 'Bearer tok' } });
    const first = await poll('');
    expect(await first.json()).toEqual({ cursor: 'c1', items: [{ id: 'f1', kind: 'task.cancel', taskId: 't1' }] });
    expect((await poll('c1')).status).toBe(204);
    const added = await fetch(`${d.url}/admin/downlink`, {
      method: 'POST',
      body: JSON.stringify({ gatewayId: 'gw-1', items: [{ id: 'p1', kind: 'task.cancel', taskId: 't2' }] }),
    });
    expect(await added.json()).toEqual({ queued: 1 });
    expect(await (await poll('c1')).json()).toEqual({ cursor: 'c2', items: [{ id: 'p1', kind: 'task.cancel', taskId: 't2' }] });
    expect((await fetch(`${d.url}/admin/downlink`, { method: 'POST', body: '{"items":[]}' })).status).toBe(400);
    expect((await fetch(`${d.url}/gateways/gw-1/downlink?after=c0`, { headers: { authorization: 'Bearer x' } })).status).toBe(401);
  });

  it('appends each new record once to the JSONL store file', async () => {
    const dir = tmp();
    const file = join(dir, 'records.jsonl');
    const d = await sim({ storeFile: file });
    await post(d, [rec('a', 1), rec('b', 2)]);
    await post(d, [rec('a', 1)]);
    await d.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    expect(lines).toEqual(['a', 'b']);
  });
});

describe('dispatch-sim CLI options', () => {
  it('reads flags into options and faults', () => {
    expect(
      dispatchSimOptionsFromArgv(['--port', '8090', '--token', 't', '--down', '--retry-after', '30', '--error-rate', '0.25', '--mqtt-url', 'mqtt://127.0.0.1:1883']),
    ).toEqual({
      port: 8090,
      host: '127.0.0.1',
      token: 't',
      mqttUrl: 'mqtt://127.0.0.1:1883',
      mqttUsername: undefined,
      mqttPassword: undefined,
      downlinkFile: undefined,
      storeFile: undefined,
      faults: { down: true, retryAfterSeconds: 30, errorRate: 0.25 },
    });
    expect(() => dispatchSimOptionsFromArgv(['--error-rate', '3'])).toThrow('errorRate must be a number from 0 to 1');
    expect(() => dispatchSimOptionsFromArgv(['--slow-ms', 'x'])).toThrow("--slow-ms must be a number, got 'x'");
    expect(() => dispatchSimOptionsFromArgv(['--nope'])).toThrow();
  });
});
