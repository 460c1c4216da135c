/**
 * Issue 17, parts 3 and 4, as a black box over MQTT: a gateway running a Kerong KR-CU16
 * bank on a socat pseudo-terminal, a drop-point terminal as an MQTT client, and the
 * reference dispatch handing down two tasks (one for in-person handover, one for a locker
 * the customer has not agreed to yet) and that customer's consent code. The first parcel
 * is refused and nothing opens; the second is refused, the customer types the code, drops
 * off, and complains. Dispatch, down meanwhile, then hears the complaint ahead of the
 * backlog, and gets consent.missing, consent.given and the locker event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DispatchSim } from '../../simulators/dispatch/index.js';
import { DEVICE_PASSWORD, type TestGateway } from '../helpers/gateway.js';
import { startLockerRig, type LockerRig } from '../helpers/locker-rig.js';
import { countBytes, LockBoardPeer, PeerPort } from '../helpers/device-peer.js';
import { s10, until, Watcher } from '../helpers/e2e.js';

const TOKEN = 'e2e-consent-token';
const IN_PERSON = s10(20_461_375);
const LOCKER = s10(31_502_298);
const CONSENT_CODE = '730512';
const UNLOCK_A01 = Uint8Array.from([0x02, 0x10, 0x31, 0x03, 0x46]);

type Msg = { topic: string; payload: unknown };
type Feedback = { result: string; text: string; reasons?: string[]; compartment?: string };
type Show = { screen: string; compartment?: string; scores?: number[]; complaints?: string[] };

let rig: LockerRig;
let port: PeerPort;
let board: LockBoardPeer;
let dispatch: DispatchSim;
let t: TestGateway;
let terminal: Watcher;

const isFeedback = (m: Msg) => m.topic.endsWith('/commands/feedback');
const isShow = (screen: string) => (m: Msg) => m.topic.endsWith('/commands/show') && (m.payload as Show).screen === screen;
const fb = (m: Msg) => m.payload as Feedback;
const event = (type: string) => `cg/v1/devices/terminal-1/events/${type}`;

const task = (id: string, waybill: string, extra: Record<string, unknown>) => ({
  id,
  kit: 'van-9',
  waybill,
  customer: `customer ${id}`,
  address: { text: 'Hauptstr. 1', lat: 52.52, lon: 13.405 },
  window: { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() },
  service: 'standard',
  sequence: 1,
  ...extra,
});

beforeAll(async () => {
  rig = await startLockerRig({
    name: 'consent',
    dispatchToken: TOKEN,
    kits: [{ id: 'van-9' }],
    compartments: [
      { id: 'A01', board: 1, lock: 1, size: 'S' },
      { id: 'A02', board: 1, lock: 2, size: 'S' },
    ],
  });
  ({ port, board, dispatch, t } = rig);
  terminal = new Watcher(t.mqttUrl, 'terminal-1', DEVICE_PASSWORD, ['cg/v1/devices/terminal-1/commands/#', 'cg/v1/devices/terminal-1/errors'], 'e2e-consent-terminal');
  await terminal.ready();
});

afterAll(async () => {
  await terminal?.close();
  await rig?.close();
});

describe('consent before a locker and customer feedback, over MQTT', () => {
  it('dispatch hands down the tasks with the customers\u2019 handover and a consent code', async () => {
    await dispatch.addDownlink({
      gatewayId: 'gw-consent',
      items: [
        { id: 'a1', kind: 'task.assign', task: task('T1', IN_PERSON, { handover: 'in-person' }) },
        { id: 'a2', kind: 'task.assign', task: task('T2', LOCKER, { handover: 'locker', consent: false }) },
        { id: 'k2', kind: 'consent.code', waybill: LOCKER, code: CONSENT_CODE, expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
      ],
    });
    await rig.applied(3, 'the tasks and the consent code applied');
    dispatch.setFaults({ down: true });
  });

  it('a drop-off for a customer who asked for in-person handover is refused with the reason, and nothing opens', async () => {
    const from = terminal.mark;
    await terminal.publish(event('scan'), { code: IN_PERSON, symbology: 'code128' });
    const refused = await terminal.next(isFeedback, from);
    expect(fb(refused)).toMatchObject({ result: 'rejected', reasons: ['CONSENT_MISSING'], beep: 'error', light: 'red' });
    expect(fb(refused).text).toContain('in-person');
    await terminal.next(isShow('consent'), from);
    await terminal.publish(event('cancel'), {});
    await terminal.next(isShow('idle'), from);
    expect(countBytes(port.received, UNLOCK_A01)).toBe(0);
  });

  it('the customer types the consent code dispatch sent them: consent recorded, the drop-off goes on; then a complaint', async () => {
    let from = terminal.mark;
    await terminal.publish(event('scan'), { code: LOCKER, symbology: 'code128' });
    expect(fb(await terminal.next(isFeedback, from))).toMatchObject({ result: 'rejected', reasons: ['CONSENT_MISSING'] });
    from = terminal.mark;
    await terminal.publish(event('code'), { code: CONSENT_CODE });
    expect(fb(await terminal.next(isFeedback, from))).toMatchObject({ result: 'info', text: 'Consent recorded' });
    const show = await terminal.next(isShow('drop-off'), from);
    expect((show.payload as Show).compartment).toBe('A01');
    const done = await terminal.next((m) => isFeedback(m) && fb(m).result !== 'info', from, 5000);
    expect(fb(done)).toMatchObject({ result: 'accepted', compartment: 'A01' });
    const rate = await terminal.next(isShow('rate'), from);
    expect(rate.payload).toMatchObject({ scores: [1, 2, 3, 4, 5], complaints: ['damaged', 'late', 'rude', 'wrong-place', 'other'] });

    from = terminal.mark;
    await terminal.publish(event('rating'), { score: 2, complaint: 'late', note: 'the courier came after the window' });
    expect(fb(await terminal.next(isFeedback, from))).toMatchObject({ result: 'accepted' });
    // a rating the schema refuses is answered on the errors topic and writes nothing
    from = terminal.mark;
    await terminal.publish(event('rating'), { score: 9 });
    const error = await terminal.next((m) => m.topic.endsWith('/errors'), from);
    expect(JSON.stringify(error.payload)).toContain('score');
    expect(countBytes(port.received, UNLOCK_A01)).toBe(1);
  });

  it('dispatch, back up, hears the complaint first and counts consent.missing, consent.given, the drop-off and the feedback', async () => {
    dispatch.setFaults({ down: false });
    await until(() => (dispatch.summary().perKind['locker.event'] ?? 0) >= 1 && (dispatch.summary().perKind['customer.feedback'] ?? 0) >= 1, 'the records at dispatch', 40_000, 100);
    const sum = dispatch.summary();
    expect(sum.perKind).toMatchObject({ 'consent.missing': 2, 'consent.given': 1, 'locker.event': 1, 'customer.feedback': 1 });
    expect(sum).toMatchObject({ gapCount: 0, changedUnderSameId: 0, rejected: 0 });
    // written last, on the live lane: received ahead of the records lane's backlog (the other live records, device health and workload, may come first)
    const all = dispatch.records({ gatewayId: 'gw-consent' }).filter((r) => r.kind !== 'device.health' && r.kind !== 'kit.workload');
    expect(all[0].kind).toBe('customer.feedback');
    const feedback = all[0];
    expect(feedback).toMatchObject({ stream: 'feedback:bank-1', seq: 1 });
    expect(feedback.body).toMatchObject({ score: 2, complaint: 'late', note: 'the courier came after the window', after: 'dropped-off', waybills: [LOCKER], compartments: ['A01'] });
    expect((feedback.body as { sinceEventMs: number }).sinceEventMs).toBeGreaterThanOrEqual(0);
    const missing = dispatch.records({ kind: 'consent.missing' }).map((r) => r.body as Record<string, unknown>);
    expect(missing).toEqual([
      expect.objectContaining({ action: 'drop-off', waybill: IN_PERSON, taskId: 'T1', taskKit: 'van-9', handover: 'in-person', consent: null }),
      expect.objectContaining({ action: 'drop-off', waybill: LOCKER, taskId: 'T2', handover: 'locker', consent: false }),
    ]);
    expect(dispatch.records({ kind: 'consent.given' })[0].body).toMatchObject({ waybill: LOCKER, taskId: 'T2', via: 'terminal-code' });
    expect(JSON.stringify(dispatch.records({ gatewayId: 'gw-consent' }))).not.toContain(CONSENT_CODE);
  });
});
