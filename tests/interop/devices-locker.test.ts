/**
 * Issue 5, "Done when" over a real pseudo-terminal: a Kerong KR-CU16 lock board played by
 * the LockBoardLine stub, a real gateway running the bank. An operator's `open` for
 * compartment A03 (board 1, lock 3) puts exactly `02 12 31 03 48` on the line, once, even
 * when published twice with the same id (and after a restart); an expired command opens
 * nothing; door changes become `locker` events; results show as `lastCommand`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { toHex } from '../../devices/codec.js';
import { collect, OPERATOR_PASSWORD, operatorHash, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ptyPair, type PtyPair } from '../helpers/pty.js';
import { countBytes, LockBoardPeer, PeerPort, sleep, waitUntil } from '../helpers/device-peer.js';

type Msg = { topic: string; payload: unknown };
type LockerEvent = { compartment: string; door: 'open' | 'closed'; occupied?: boolean; at?: string };
type LastCommand = { id?: string; name: string; ok: boolean; error?: string; compartment?: string; door?: string };
type Status = { state: string; lastCommand?: LastCommand };

const UNLOCK_A03 = Uint8Array.from([0x02, 0x12, 0x31, 0x03, 0x48]);
const UNLOCK_A01 = Uint8Array.from([0x02, 0x10, 0x31, 0x03, 0x46]);
const QUERY_BOARD_1 = Uint8Array.from([0x02, 0x10, 0x30, 0x03, 0x45]);

let dir: string;
let dataDir: string;
let pair: PtyPair;
let port: PeerPort;
let board: LockBoardPeer;
let t: TestGateway;
let op: MqttClient;

const rawConfig = (devicePath: string) => ({
  operators: [{ username: 'tech', passwordHash: operatorHash() }],
  kits: [{ id: 'branch-1' }],
  devices: [
    {
      id: 'bank-1', kind: 'locker', kit: 'branch-1', protocol: 'kerong-cu16',
      transport: { type: 'serial', path: devicePath, baudRate: 19200 },
      lockedBit: 0, pollMs: 100,
      compartments: [
        { id: 'A01', board: 1, lock: 1, size: 'S' },
        { id: 'A03', board: 1, lock: 3, size: 'M' },
      ],
    },
  ],
});

const lastCommandOf = (m: Msg): LastCommand | undefined => (m.payload as Status).lastCommand;
const ev = (m: Msg): LockerEvent => m.payload as LockerEvent;
const inFuture = (ms: number): string => new Date(Date.now() + ms).toISOString();

/** every 5-byte request the gateway put on the line, as hex */
function requestsOnLine(): string[] {
  const bytes = port.received;
  expect(bytes.length % 5).toBe(0);
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 5) out.push(toHex(bytes.subarray(i, i + 5)));
  return out;
}

function compartment(id: string): { door: string; status: string; occupied?: boolean } | undefined {
  const info = t.gateway.devices.list().find((d) => d.id === 'bank-1')?.info as { compartments?: { id: string; door: string; status: string; occupied?: boolean }[] } | undefined;
  return info?.compartments?.find((c) => c.id === id);
}

/** a collector on its own operator connection: collect() sees every message of its client */
async function watch(filter: string) {
  return collect(await t.connect('tech', OPERATOR_PASSWORD), filter);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-locker-'));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cg-locker-data-'));
  pair = await ptyPair(dir, 'rs485');
  port = await PeerPort.open(pair.peer, 19200);
  // the user closes a door 800 ms after it opened, putting a parcel in
  board = new LockBoardPeer(port, { boards: [1], lockedBit: 0, user: { closeAfterMs: 800, parcel: 'put' } });
  t = await startTestGateway(rawConfig(pair.device), { dataDir });
  op = await t.connect('tech', OPERATOR_PASSWORD);
});

afterAll(async () => {
  board?.stop();
  await t?.stop();
  await port?.close();
  await pair?.close();
  for (const d of [dir, dataDir]) if (d) await rm(d, { recursive: true, force: true });
});

describe('Kerong lock board on a pseudo-terminal', () => {
  it('polls the board and reports both compartments closed and the bank online', async () => {
    const status = await watch('cg/v1/devices/bank-1/status');
    await status.next((m) => (m.payload as Status).state === 'online', 5000);
    await waitUntil(() => compartment('A01')?.door === 'closed' && compartment('A03')?.door === 'closed', 'both doors closed');
    expect(compartment('A03')).toMatchObject({ status: 'free', door: 'closed', occupied: false });
    // only state queries of board 1 so far
    expect(new Set(requestsOnLine())).toEqual(new Set([toHex(QUERY_BOARD_1)]));
    expect(board.line.errors).toEqual([]);
  });

  it('opens A03 with exactly one unlock frame even when the command is published twice, and reports the door open then closed', async () => {
    const events = await watch('cg/v1/devices/bank-1/events/locker');
    const status = await watch('cg/v1/devices/bank-1/status');
    const cmd = JSON.stringify({ id: 'cmd-1', compartment: 'A03', expiresAt: inFuture(60_000) });
    await op.publishAsync('cg/v1/devices/bank-1/commands/open', cmd, { qos: 1 });
    await op.publishAsync('cg/v1/devices/bank-1/commands/open', cmd, { qos: 1 });

    const done = await status.next((m) => lastCommandOf(m)?.id === 'cmd-1' && lastCommandOf(m)?.ok === true, 5000);
    expect(lastCommandOf(done)).toMatchObject({ id: 'cmd-1', name: 'open', ok: true, compartment: 'A03', door: 'open' });
    // the replay was answered, not executed
    const dup = await status.next((m) => lastCommandOf(m)?.id === 'cmd-1' && lastCommandOf(m)?.error === 'DUPLICATE', 2000);
    expect(lastCommandOf(dup)).toMatchObject({ ok: false });

    const opened = await events.next((m) => ev(m).compartment === 'A03' && ev(m).door === 'open', 3000);
    expect(opened.payload).toMatchObject({ compartment: 'A03', door: 'open', occupied: false });
    const closed = await events.next((m) => ev(m).compartment === 'A03' && ev(m).door === 'closed', 4000);
    expect(closed.payload).toMatchObject({ compartment: 'A03', door: 'closed', occupied: true });
    expect(events.messages.map((m) => `${ev(m).compartment}:${ev(m).door}`)).toEqual(['A03:open', 'A03:closed']);

    await sleep(300);
    expect(countBytes(port.received, UNLOCK_A03)).toBe(1);
    const requests = requestsOnLine();
    expect(requests.filter((r) => r !== toHex(QUERY_BOARD_1))).toEqual(['02 12 31 03 48']);
    expect(board.line.heard.filter((f) => f.type === 'unlock')).toMatchObject([{ type: 'unlock', board: 1, lock: 3 }]);
    expect(compartment('A03')).toMatchObject({ door: 'closed', occupied: true });
    // the retained status a late subscriber gets still says how cmd-1 ended
    const late = await watch('cg/v1/devices/bank-1/status');
    expect(lastCommandOf(await late.next())).toMatchObject({ id: 'cmd-1', name: 'open' });
  });

  it('opens nothing for an expired command and says so in lastCommand', async () => {
    const status = await watch('cg/v1/devices/bank-1/status');
    const before = port.received.length;
    const cmd = JSON.stringify({ id: 'cmd-2', compartment: 'A01', expiresAt: new Date(Date.now() - 1000).toISOString() });
    await op.publishAsync('cg/v1/devices/bank-1/commands/open', cmd, { qos: 1 });
    const answer = await status.next((m) => lastCommandOf(m)?.id === 'cmd-2', 3000);
    expect(lastCommandOf(answer)).toMatchObject({ id: 'cmd-2', name: 'open', ok: false, error: 'EXPIRED' });
    await sleep(300);
    expect(countBytes(port.received.subarray(before), UNLOCK_A01)).toBe(0);
    expect(requestsOnLine().filter((r) => r !== toHex(QUERY_BOARD_1))).toEqual(['02 12 31 03 48']);
    expect(board.line.door(1, 1)).toBe('closed');
    expect(compartment('A01')).toMatchObject({ door: 'closed' });
  });

  it('turns a door the board reports open without a command (forced) and then closed into locker events', async () => {
    const events = await watch('cg/v1/devices/bank-1/events/locker');
    board.line.forceOpen(1, 1);
    const opened = await events.next((m) => ev(m).compartment === 'A01' && ev(m).door === 'open', 3000);
    expect(opened.payload).toMatchObject({ compartment: 'A01', door: 'open', occupied: false });
    await waitUntil(() => (t.gateway.devices.list().find((d) => d.id === 'bank-1')?.faults['forced-door'] ?? 0) === 1, 'a forced-door fault');
    board.line.close(1, 1);
    await events.next((m) => ev(m).compartment === 'A01' && ev(m).door === 'closed', 3000);
    expect(events.messages.map((m) => `${ev(m).compartment}:${ev(m).door}`)).toEqual(['A01:open', 'A01:closed']);
    expect(countBytes(port.received, UNLOCK_A01)).toBe(0);
  });

  it('still refuses cmd-1 after a gateway restart (the id is remembered on disk)', async () => {
    await t.stop();
    t = await startTestGateway(rawConfig(pair.device), { dataDir });
    op = await t.connect('tech', OPERATOR_PASSWORD);
    const status = await watch('cg/v1/devices/bank-1/status');
    await status.next((m) => (m.payload as Status).state === 'online', 5000);
    const cmd = JSON.stringify({ id: 'cmd-1', compartment: 'A03', expiresAt: inFuture(60_000) });
    await op.publishAsync('cg/v1/devices/bank-1/commands/open', cmd, { qos: 1 });
    const answer = await status.next((m) => lastCommandOf(m)?.id === 'cmd-1', 3000);
    expect(lastCommandOf(answer)).toMatchObject({ ok: false, error: 'DUPLICATE' });
    await sleep(300);
    expect(countBytes(port.received, UNLOCK_A03)).toBe(1);
    expect(board.line.door(1, 3)).toBe('closed');
  });
});
