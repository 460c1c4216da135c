/**
 * Issue 23, "Done when", black box over MQTT: the compiled gateway as a child process, the
 * reference dispatch over HTTP, the kit's in-van app as an MQTT client. Three tasks are
 * assigned through the downlink; the app accepts one (dispatch receives task.accepted with
 * its id), declines one with a reason (task.declined; it leaves the kit's list) and leaves
 * the third unanswered (task.unacknowledged, the app re-signalled). Answers the gateway
 * cannot take are refused on the app's errors topic with the reason. The kit's workload
 * reaches dispatch as kit.workload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../core/passwords.js';
import { startDispatchSim } from '../../simulators/dispatch/index.js';
import { configureGateway, pickupTask, s10, until, Watcher } from '../helpers/e2e.js';

const PASSWORD = 'e2e-device-secret';
const TOKEN = 'e2e-dispatch-token';
const KIT = 'kit-1';
const WAIT_MS = 2000;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

let passwordHash: string;
beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
});

type Body = { taskId?: string; kit?: string; reason?: string; response?: string; device?: string; afterMs?: number; waitedMs?: number };
type TaskList = { kit: string; tasks: { id: string; state: string }[] };

describe('the courier answers each assignment (MQTT black box)', () => {
  it('accept -> task.accepted, decline with a reason -> task.declined, no answer -> task.unacknowledged', async () => {
    const dispatch = await startDispatchSim({ token: TOKEN });
    cleanups.push(() => dispatch.close());
    const { gateway, gatewayId } = await configureGateway('answers', cleanups, () => ({
      kits: [{ id: KIT }, { id: 'kit-2' }],
      operators: [{ username: 'tech', passwordHash }],
      devices: [
        { id: 'app-1', kind: 'app', kit: KIT, transport: { type: 'mqtt' }, credentials: { passwordHash } },
        { id: 'app-2', kind: 'app', kit: 'kit-2', transport: { type: 'mqtt' }, credentials: { passwordHash } },
      ],
      dispatch: { transport: 'http', url: dispatch.url, token: TOKEN },
      tasks: { unacknowledgedMs: WAIT_MS },
    }));
    await gateway.start();

    const app = new Watcher(gateway.mqttUrl, 'app-1', PASSWORD, [`cg/v1/kits/${KIT}/#`, 'cg/v1/devices/app-1/errors', 'cg/v1/devices/app-1/commands/#']);
    cleanups.push(() => app.close());
    await app.ready();
    const answer = (payload: Record<string, unknown>) => app.publish('cg/v1/devices/app-1/events/task', payload);

    const tasks = ['t-accept', 't-decline', 't-silent'].map((id, i) => pickupTask(KIT, id, s10(61_000_000 + i * 7), 1000, i + 1));
    const other = pickupTask('kit-2', 't-other', s10(62_000_000), 1000, 1);
    await dispatch.addDownlink({ gatewayId, items: [...tasks, other].map((task, i) => ({ id: `dl-${i}`, kind: 'task.assign', task })) });

    const listOf = (m: { topic: string; payload: unknown }) => (m.topic === `cg/v1/kits/${KIT}/tasks` ? (m.payload as TaskList) : undefined);
    const assigned = await app.next((m) => (listOf(m)?.tasks.length ?? 0) === 3, 0, 15_000);
    expect(listOf(assigned)!.tasks.map((t) => [t.id, t.state])).toEqual([
      ['t-accept', 'assigned'],
      ['t-decline', 'assigned'],
      ['t-silent', 'assigned'],
    ]);

    await answer({ taskId: 't-accept', response: 'accept' });
    await answer({ taskId: 't-decline', response: 'decline', reason: 'vehicle-full' });
    // refused at the edge (schema) and by the task store, each with its reason on the errors topic
    await answer({ taskId: 't-accept', response: 'maybe' });
    await answer({ taskId: 'no-such-task', response: 'accept' });
    await answer({ taskId: 't-other', response: 'accept' });

    const errors = (code: string) => app.next((m) => m.topic === 'cg/v1/devices/app-1/errors' && (m.payload as { error: string }).error === code, 0, 10_000);
    expect((await errors('INVALID_PAYLOAD')).payload).toMatchObject({ field: 'response' });
    expect((await errors('UNKNOWN_TASK')).payload).toMatchObject({ taskId: 'no-such-task' });
    expect((await errors('WRONG_KIT')).payload).toMatchObject({ taskId: 't-other' });

    // the kit sees each answered task's state on its own retained topic
    const stateOf = (id: string, state: string) => app.next((m) => m.topic === `cg/v1/kits/${KIT}/tasks/${id}` && (m.payload as { state?: string }).state === state, 0, 10_000);
    expect((await stateOf('t-accept', 'accepted')).payload).toMatchObject({ open: true });
    expect((await stateOf('t-decline', 'declined')).payload).toMatchObject({ open: false, reason: 'vehicle-full' });

    const at = (kind: string) => dispatch.records({ kind, gatewayId }).map((r) => r.body as Body);
    await until(() => at('task.accepted').length >= 1 && at('task.declined').length >= 1, 'task.accepted and task.declined at dispatch', 15_000, 100);
    expect(at('task.accepted')).toEqual([expect.objectContaining({ taskId: 't-accept', kit: KIT, response: 'accepted', device: 'app-1' })]);
    expect(at('task.declined')).toEqual([expect.objectContaining({ taskId: 't-decline', kit: KIT, response: 'declined', reason: 'vehicle-full' })]);

    // dispatch sees the kit's workload: three stops assigned, two once one is declined
    type Load = { kit: string; stops: number; pieces: number };
    const loads = () => dispatch.records({ kind: 'kit.workload', gatewayId }).map((r) => r.body as Load).filter((b) => b.kit === KIT);
    await until(() => loads().at(-1)?.stops === 2, 'the kit.workload after the decline', 15_000, 100);
    expect(loads().at(-1)).toMatchObject({ stops: 2, pieces: 2 });

    // the third waits WAIT_MS: the app is signalled again and dispatch hears task.unacknowledged, once
    const reminder = await app.next((m) => m.topic === 'cg/v1/devices/app-1/commands/feedback' && (m.payload as { taskId?: string }).taskId === 't-silent', 0, 15_000);
    expect((reminder.payload as { text: string }).text).toMatch(/t-silent/);
    // (and kit-2's answerless task too); the tasks answered in time never are
    await until(() => at('task.unacknowledged').length >= 2, 'task.unacknowledged at dispatch', 15_000, 100);
    const unanswered = at('task.unacknowledged').sort((a, b) => a.taskId!.localeCompare(b.taskId!));
    expect(unanswered).toEqual([expect.objectContaining({ taskId: 't-other', kit: 'kit-2' }), expect.objectContaining({ taskId: 't-silent', kit: KIT })]);
    for (const b of unanswered) expect(b.waitedMs).toBeGreaterThanOrEqual(WAIT_MS);

    // a later accept still counts
    await answer({ taskId: 't-silent', response: 'accept' });
    await until(() => at('task.accepted').length >= 2, 'the late accept at dispatch', 15_000, 100);
    expect(at('task.accepted').map((b) => b.taskId)).toEqual(['t-accept', 't-silent']);

    // a new subscriber's retained list: the declined task is gone, the others carry their state
    const late = new Watcher(gateway.mqttUrl, 'tech', PASSWORD, [`cg/v1/kits/${KIT}/#`]);
    cleanups.push(() => late.close());
    await late.ready();
    const list = await late.next((m) => listOf(m) !== undefined, 0, 5000);
    const open = new Set(listOf(list)!.tasks.map((t) => t.id));
    await until(() => late.messages.length >= 3, 'the retained task states', 5000, 50);
    const states = new Map(late.messages.filter((m) => m.topic.startsWith(`cg/v1/kits/${KIT}/tasks/`) && typeof m.payload === 'object').map((m) => [m.topic.split('/').at(-1), m.payload as { state: string; open: boolean }]));
    for (const [id, s] of states) if (!s.open) open.delete(id!);
    expect([...open].sort()).toEqual(['t-accept', 't-silent']);
    expect(dispatch.summary().rejected).toBe(0);
  });
});
