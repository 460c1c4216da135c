/**
 * Issue 5, "Done when", end to end: a gateway running a Kerong KR-CU16 bank on a socat
 * pseudo-terminal (the LockBoardLine stub plays the board and a user who closes doors), a
 * drop-point terminal as an MQTT client speaking the terminal protocol, and the reference
 * dispatch handing down the courier's collection code. A drop-off and a collection produce
 * `dropped-off` and `collected` records in the journal (and at dispatch); wrong codes are
 * refused and five lock the terminal out; a door left open raises the alarm on /metrics
 * and in the gateway status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../devices/codec.js';
import type { JournalComponent } from '../../gateway/journal-component.js';
import type { RecordEnvelope } from '../../cloud-sync/journal/records.js';
import type { DispatchSim } from '../../simulators/dispatch/index.js';
import { authFetch, DEVICE_PASSWORD, metricValue, OPERATOR_PASSWORD, operatorHash, type TestGateway } from '../helpers/gateway.js';
import { startLockerRig, type LockerRig } from '../helpers/locker-rig.js';
import { countBytes, LockBoardPeer, PeerPort, sleep } from '../helpers/device-peer.js';
import { s10, until, Watcher } from '../helpers/e2e.js';

const TOKEN = 'e2e-locker-token';
const CODE = '482913';
const WAYBILL = s10(73_105_552);
const UNLOCK_A01 = Uint8Array.from([0x02, 0x10, 0x31, 0x03, 0x46]);
const UNLOCK_A03 = Uint8Array.from([0x02, 0x12, 0x31, 0x03, 0x48]);
const DOOR_OPEN_ALARM_MS = 1000;

type Msg = { topic: string; payload: unknown };
type Feedback = { result: string; text: string; reasons?: string[]; compartment?: string; attemptsLeft?: number; until?: string; beep?: string; light?: string };
type Show = { screen: string; compartment?: string; compartments?: string[]; until?: string };
type Alarm = { kind: string; source: string; message: string };

let rig: LockerRig;
let port: PeerPort;
let board: LockBoardPeer;
let dispatch: DispatchSim;
let t: TestGateway;
let terminal: Watcher;
let watch: Watcher;
let op: Watcher;

const isFeedback = (m: Msg) => m.topic.endsWith('/commands/feedback');
const fb = (m: Msg) => m.payload as Feedback;
const event = (type: string) => `cg/v1/devices/terminal-1/events/${type}`;

/** the journal's records not yet acknowledged by dispatch (it is down while the flows run) */
async function journalRecords(): Promise<RecordEnvelope[]> {
  const journal = (t.gateway.component('journal') as JournalComponent).journal!;
  return journal.next(1000, 10_000_000);
}

async function lockerRecords(): Promise<RecordEnvelope[]> {
  return (await journalRecords()).filter((r) => r.kind === 'locker.event');
}

async function bankStatus(): Promise<{ compartments: { id: string; status: string; door: string; occupied?: boolean }[]; alarms: { kind: string; compartment?: string }[] }> {
  const res = await authFetch(`${t.httpUrl}/status/devices/bank-1`);
  return ((await res.json()) as { info: never }).info;
}

beforeAll(async () => {
  rig = await startLockerRig({
    name: 'locker',
    dispatchToken: TOKEN,
    config: { operators: [{ username: 'tech', passwordHash: operatorHash() }] },
    bank: { doorOpenAlarmMs: DOOR_OPEN_ALARM_MS },
    compartments: [
      { id: 'A01', board: 1, lock: 1, size: 'S' },
      { id: 'A02', board: 1, lock: 2, size: 'S' },
      { id: 'A03', board: 1, lock: 3, size: 'M' },
    ],
    terminal: { hasScale: true },
  });
  ({ port, board, dispatch, t } = rig);
  terminal = new Watcher(t.mqttUrl, 'terminal-1', DEVICE_PASSWORD, ['cg/v1/devices/terminal-1/commands/#'], 'e2e-terminal-1');
  watch = new Watcher(t.mqttUrl, 'tech', OPERATOR_PASSWORD, ['cg/v1/devices/bank-1/events/locker', 'cg/v1/gateway/status'], 'e2e-watch');
  op = new Watcher(t.mqttUrl, 'tech', OPERATOR_PASSWORD, ['cg/v1/devices/bank-1/status'], 'e2e-operator');
  await Promise.all([terminal.ready(), watch.ready(), op.ready()]);
});

afterAll(async () => {
  await Promise.all([terminal, watch, op].map((c) => c?.close()));
  await rig?.close();
});

describe('locker bank and terminal end to end', () => {
  it('dispatch hands down the courier collection code (collection.code on the downlink)', async () => {
    await until(async () => (await bankStatus()).compartments.every((c) => c.door === 'closed'), 'the board polled, every door closed', 5000);
    await dispatch.addDownlink({
      gatewayId: 'gw-locker',
      items: [{ id: 'code-1', kind: 'collection.code', bank: 'bank-1', courier: 'courier-7', code: CODE, expiresAt: new Date(Date.now() + 3_600_000).toISOString() }],
    });
    await rig.applied(1, 'the collection code applied');
    // from here dispatch is down, so the flows' records stay in the journal to be read
    dispatch.setFaults({ down: true });
  });

  it('a drop-off: scan, weight, show the compartment, the door opens and closes with the parcel, feedback accepted, a dropped-off record', async () => {
    const from = terminal.mark;
    const doors = watch.mark;
    await terminal.publish(event('scan'), { code: WAYBILL, symbology: 'code128' });
    const weigh = await terminal.next((m) => m.topic.endsWith('/commands/show') && (m.payload as Show).screen === 'weigh', from);
    expect(weigh.payload).toMatchObject({ screen: 'weigh' });
    await terminal.publish(event('weight'), { grams: 1200, stable: true });

    const show = await terminal.next((m) => m.topic.endsWith('/commands/show') && (m.payload as Show).screen === 'drop-off', from);
    expect((show.payload as Show).compartment).toBe('A01');
    const opened = await watch.next((m) => m.topic.endsWith('/events/locker') && (m.payload as { door: string }).door === 'open', doors, 3000);
    expect(opened.payload).toMatchObject({ compartment: 'A01', door: 'open', occupied: false });
    const closed = await watch.next((m) => m.topic.endsWith('/events/locker') && (m.payload as { door: string }).door === 'closed', doors, 4000);
    expect(closed.payload).toMatchObject({ compartment: 'A01', door: 'closed', occupied: true });
    const done = await terminal.next(isFeedback, from, 4000);
    expect(fb(done)).toMatchObject({ result: 'accepted', compartment: 'A01', beep: 'ok', light: 'green' });

    const recs = await lockerRecords();
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ kind: 'locker.event', stream: 'bank-1', seq: 1, gatewayId: 'gw-locker' });
    expect(recs[0].body).toMatchObject({ event: 'dropped-off', compartment: 'A01', waybill: WAYBILL, grams: 1200, size: 'S', bank: 'bank-1', terminal: 'terminal-1' });
    expect((await bankStatus()).compartments.find((c) => c.id === 'A01')).toMatchObject({ status: 'occupied', door: 'closed', occupied: true });
    expect(countBytes(port.received, UNLOCK_A01)).toBe(1);
  });

  it('a wrong code is refused (WRONG_CODE); the courier code from the downlink opens that compartment; door open then closed empty: a collected record', async () => {
    board.line.setUser(1, 1, { parcel: 'take' });
    let from = terminal.mark;
    await terminal.publish(event('code'), { code: '000000' });
    const wrong = await terminal.next(isFeedback, from);
    expect(fb(wrong)).toMatchObject({ result: 'rejected', reasons: ['WRONG_CODE'], attemptsLeft: 4 });
    expect(countBytes(port.received, UNLOCK_A01)).toBe(1);

    from = terminal.mark;
    const doors = watch.mark;
    await terminal.publish(event('code'), { code: CODE });
    const show = await terminal.next((m) => m.topic.endsWith('/commands/show') && (m.payload as Show).screen === 'collection', from);
    expect((show.payload as Show).compartments).toEqual(['A01']);
    await watch.next((m) => (m.payload as { compartment: string; door: string }).compartment === 'A01' && (m.payload as { door: string }).door === 'open', doors, 3000);
    const closed = await watch.next((m) => (m.payload as { compartment: string; door: string }).compartment === 'A01' && (m.payload as { door: string }).door === 'closed', doors, 4000);
    expect(closed.payload).toMatchObject({ occupied: false });
    const done = await terminal.next(isFeedback, from, 4000);
    expect(fb(done)).toMatchObject({ result: 'accepted' });
    expect(fb(done).reasons).toBeUndefined();

    const recs = await lockerRecords();
    expect(recs.map((r) => [r.seq, (r.body as { event: string }).event])).toEqual([[1, 'dropped-off'], [2, 'collected']]);
    expect(recs[1].body).toMatchObject({ event: 'collected', compartment: 'A01', waybill: WAYBILL, courier: 'courier-7', bank: 'bank-1', terminal: 'terminal-1' });
    expect((await bankStatus()).compartments.find((c) => c.id === 'A01')).toMatchObject({ status: 'free', door: 'closed', occupied: false });
    expect(countBytes(port.received, UNLOCK_A01)).toBe(2);
  });

  it('five wrong codes lock the terminal out; then even the right code and a scan are refused, and nothing opens', async () => {
    const before = port.received.length;
    const from = terminal.mark;
    for (let i = 1; i <= 5; i++) {
      const mark = terminal.mark;
      await terminal.publish(event('code'), { code: `11111${i}` });
      const answer = fb(await terminal.next(isFeedback, mark));
      if (i < 5) expect(answer).toMatchObject({ result: 'rejected', reasons: ['WRONG_CODE'], attemptsLeft: 5 - i });
      else {
        expect(answer).toMatchObject({ result: 'locked-out', reasons: ['WRONG_CODE', 'LOCKED_OUT'] });
        expect(Date.parse(answer.until!)).toBeGreaterThan(Date.now());
      }
    }
    const screen = await terminal.next((m) => m.topic.endsWith('/commands/show') && (m.payload as Show).screen === 'locked-out', from);
    expect((screen.payload as Show).until).toBeDefined();

    for (const [type, payload] of [['code', { code: CODE }], ['scan', { code: s10(73_105_560) }]] as const) {
      const mark = terminal.mark;
      await terminal.publish(event(type), payload);
      expect(fb(await terminal.next(isFeedback, mark))).toMatchObject({ result: 'locked-out', reasons: ['LOCKED_OUT'] });
    }
    await sleep(300);
    // only state queries of board 1 went on the line
    const after = port.received.subarray(before);
    const frames = Array.from({ length: Math.floor(after.length / 5) }, (_, i) => toHex(after.subarray(i * 5, i * 5 + 5)));
    expect(new Set(frames)).toEqual(new Set(['02 10 30 03 45']));
    expect((await lockerRecords())).toHaveLength(2);
  });

  it('a door left open beyond doorOpenAlarmMs counts a door-open fault on /metrics and lists the alarm in the bank status', async () => {
    board.line.setUser(1, 3, { closeAfterMs: null });
    const from = op.mark;
    await op.publish('cg/v1/devices/bank-1/commands/open', { id: 'cmd-left-open', compartment: 'A03', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    const result = await op.next((m) => (m.payload as { lastCommand?: { id?: string } }).lastCommand?.id === 'cmd-left-open', from, 5000);
    expect((result.payload as { lastCommand: unknown }).lastCommand).toMatchObject({ ok: true, compartment: 'A03', door: 'open' });
    expect(countBytes(port.received, UNLOCK_A03)).toBe(1);

    await until(async () => (await metricValue(t.httpUrl, 'cg_device_faults_total', { device: 'bank-1', kind: 'door-open' })) === 1, 'cg_device_faults_total{kind="door-open"} = 1', DOOR_OPEN_ALARM_MS + 3000);
    const status = await bankStatus();
    expect(status.alarms).toMatchObject([{ kind: 'door-open', compartment: 'A03' }]);
  });

  it('the door-open alarm shows in the gateway status: /healthz alarms, cg_alarms_active and the retained cg/v1/gateway/status', async () => {
    const isDoorOpen = (a: Alarm) => a.kind.includes('door-open');
    let health: { alarms: Alarm[] } = { alarms: [] };
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      health = (await (await authFetch(`${t.httpUrl}/healthz`)).json()) as { alarms: Alarm[] };
      if (health.alarms.some(isDoorOpen)) break;
      await sleep(100);
    }
    expect(health.alarms.filter(isDoorOpen), `/healthz alarms: ${JSON.stringify(health.alarms)}`).toHaveLength(1);
    expect(health.alarms.find(isDoorOpen)!.message).toContain('A03');

    const metrics = await (await authFetch(`${t.httpUrl}/metrics`)).text();
    const active = metrics.split('\n').filter((l) => l.startsWith('cg_alarms_active{') && l.includes('door-open'));
    expect(active.map((l) => Number(l.split(' ').at(-1))), 'cg_alarms_active for door-open').toEqual([1]);

    const late = new Watcher(t.mqttUrl, 'tech', OPERATOR_PASSWORD, ['cg/v1/gateway/status'], 'e2e-late-status');
    try {
      await late.ready();
      const retained = await late.next(() => true, 0, 3000);
      expect(((retained.payload as { alarms: Alarm[] }).alarms ?? []).filter(isDoorOpen)).toHaveLength(1);
    } finally {
      await late.close();
    }
  });

  it('closing the door clears the alarm', async () => {
    board.line.close(1, 3);
    await until(async () => (await bankStatus()).alarms.length === 0, 'the bank alarm cleared', 3000);
    const health = (await (await authFetch(`${t.httpUrl}/healthz`)).json()) as { alarms: Alarm[] };
    expect(health.alarms.filter((a) => a.kind.includes('door-open'))).toEqual([]);
  });

  it('the locker events reach dispatch once it is up: dropped-off and collected, gapless on the bank stream', async () => {
    dispatch.setFaults({ down: false });
    await until(() => (dispatch.summary().perKind['locker.event'] ?? 0) >= 2, 'two locker events at dispatch', 40_000, 100);
    const recs = dispatch.records({ kind: 'locker.event', gatewayId: 'gw-locker' });
    expect(recs.map((r) => [r.stream, r.seq, (r.body as { event: string }).event]).sort()).toEqual([
      ['bank-1', 1, 'dropped-off'],
      ['bank-1', 2, 'collected'],
    ]);
    expect(dispatch.summary()).toMatchObject({ gapCount: 0, changedUnderSameId: 0, rejected: 0 });
  });
});
