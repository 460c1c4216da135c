import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cp, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sinon from 'sinon';
import type { DeviceEvent, EventPayload, EventType } from '../../devices/events.js';
import { PickupPipeline, type PipelineMetrics } from '../../rules/pipeline.js';
import { isValidReceipt } from '../../rules/receipt.js';
import { RecordRefusedError, type RecordInput, type RecordSink } from '../../rules/records.js';
import { type RecordEnvelope } from '../../cloud-sync/journal/records.js';
import { TaskStore } from '../../rules/tasks.js';
import { clockTimers, kitPosition, silentLog, task, tempDir } from './helpers.js';

interface Published {
  topic: string;
  payload: Record<string, unknown>;
  opts?: { retain?: boolean; qos?: 0 | 1 };
}

/** A sink in memory; `hold()` makes appends wait until released; `refuse()` makes them fail. */
class FakeSink implements RecordSink {
  records: RecordEnvelope[] = [];
  private held: (() => void)[] | undefined;
  private refusal: RecordRefusedError | undefined;
  hold(): void {
    this.held = [];
  }
  release(): void {
    const h = this.held ?? [];
    this.held = undefined;
    for (const go of h) go();
  }
  refuse(reason: string): void {
    this.refusal = new RecordRefusedError(reason, `journal refused: ${reason}`);
  }
  async append(input: RecordInput): Promise<RecordEnvelope> {
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    if (this.refusal) throw this.refusal;
    const env: RecordEnvelope = {
      ...input,
      id: `R${this.records.length + 1}`,
      gatewayId: 'gw-test',
      seq: this.records.length + 1,
      createdAt: new Date().toISOString(),
      clock: 'ntp',
      bootId: 'boot',
      monoMs: 0,
    };
    this.records.push(env);
    return env;
  }
}

describe('PickupPipeline', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let clock: sinon.SinonFakeTimers;
  let published: Published[];
  let sink: FakeSink;
  let tasks: TaskStore;
  let pipeline: PickupPipeline;
  let metrics: { latency: number[]; verdicts: string[]; refused: number; records: string[] };

  const start = async (extra: Partial<ConstructorParameters<typeof PickupPipeline>[0]> = {}): Promise<void> => {
    const m: PipelineMetrics = {
      observeLatency: (ms) => metrics.latency.push(ms),
      countVerdict: (o) => metrics.verdicts.push(o),
      countRulesetRefused: () => metrics.refused++,
      countRecord: (kind, result) => metrics.records.push(`${kind}:${result}`),
    };
    pipeline = new PickupPipeline({
      gatewayId: 'gw-test',
      publish: (topic, payload, opts) => published.push({ topic, payload: payload as Record<string, unknown>, opts }),
      sink,
      tasks,
      log: silentLog,
      metrics: m,
      now: () => clock.now,
      clockQuality: () => 'ntp',
      rulesDir: 'rules/sets/pickup',
      watchRules: false,
      dataDir: join(tmp.dir, 'data'),
      timers: { setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h as number) },
      ...extra,
    });
    await pipeline.start();
  };

  beforeEach(async () => {
    tmp = await tempDir();
    clock = sinon.useFakeTimers({ now: Date.parse('2025-03-01T10:00:00Z'), toFake: ['Date'] });
    published = [];
    sink = new FakeSink();
    metrics = { latency: [], verdicts: [], refused: 0, records: [] };
    tasks = new TaskStore({ dataDir: join(tmp.dir, 'data'), log: silentLog, publishTasks: () => undefined });
    await tasks.start();
    await tasks.upsert(task());
  });
  afterEach(async () => {
    await pipeline?.stop();
    await tasks.stop();
    clock.restore();
    await tmp.remove();
  });

  const send = <T extends EventType>(type: T, payload: EventPayload<T>, deviceId = 'scanner-1', kit: string | null = 'kit-1'): void => {
    pipeline.handle({ deviceId, kit: kit ?? undefined, type, payload, receivedAt: clock.now } as DeviceEvent);
  };
  const scan = (code: string) => send('scan', { code }, 'scanner-1');
  const weigh = (grams: number, stable = true) => send('weight', { grams, stable }, 'scale-1');
  const here = () => send('position', { lat: kitPosition.lat, lon: kitPosition.lon, fix: '3d' }, 'gps-1');
  const onVerdicts = () => published.filter((p) => p.topic === 'cg/v1/kits/kit-1/verdicts').map((p) => p.payload);
  const onFeedback = () => published.filter((p) => p.topic === 'cg/v1/devices/scanner-1/commands/feedback').map((p) => p.payload);
  /** the answers to a scan (the `pending` notes and the waiting feedback of a scan without a weight aside) */
  const verdicts = () => onVerdicts().filter((v) => v.type !== 'pending');
  const feedback = () => onFeedback().filter((f) => !String(f.text).startsWith('Waiting for weight'));

  it('RR123456785CN + 1210 g at the task address: accepted, then one pickup.completed record, then recorded: true', async () => {
    await start();
    sink.hold();
    here();
    scan('RR123456785CN');
    clock.tick(1500);
    weigh(1210);
    await new Promise((r) => setImmediate(r));
    while (sink.records.length === 0 && verdicts().length === 0) await new Promise((r) => setImmediate(r));
    const [verdict] = verdicts();
    expect(verdict).toMatchObject({
      type: 'verdict',
      gatewayId: 'gw-test',
      kit: 'kit-1',
      outcome: 'accepted',
      reasons: [],
      taskId: 'T1',
      taskMatch: 'waybill',
      waybill: { value: 'RR123456785CN', scheme: 's10', valid: true },
      weight: { deviceId: 'scale-1', grams: 1210, stable: true },
      weights: { grams: 1210, declaredGrams: 1200, billableGrams: 1500 },
      rulesetVersion: '1.0.0',
      confirmable: false,
      timings: { scanToVerdictMs: 1500, pairToVerdictMs: 0, scanAt: '2025-03-01T10:00:00.000Z', weightAt: '2025-03-01T10:00:01.500Z' },
    });
    expect(typeof verdict.verdictId).toBe('string');
    expect(typeof verdict.pairId).toBe('string');
    expect(feedback()).toEqual([{ beep: 'ok', light: 'green', text: 'Accepted: RR123456785CN' }]);
    // the record is not durable yet: no acknowledgement
    expect(verdicts()).toHaveLength(1);
    sink.release();
    await pipeline.whenIdle();
    expect(sink.records).toHaveLength(1);
    const rec = sink.records[0];
    expect(rec).toMatchObject({ kind: 'pickup.completed', stream: 'kit-1', kit: 'kit-1', devices: ['scanner-1', 'scale-1'] });
    expect(rec.body).toMatchObject({
      verdictId: verdict.verdictId,
      waybill: 'RR123456785CN',
      taskId: 'T1',
      weights: { grams: 1210, declaredGrams: 1200, billableGrams: 1500 },
      position: { lat: kitPosition.lat, lon: kitPosition.lon, distanceToTaskM: 0 },
      outcome: 'accepted',
      confirmed: false,
      rulesetVersion: '1.0.0',
      reasons: [],
      pieces: { piece: 1, of: 1 },
    });
    expect(isValidReceipt(rec.body.receipt as string)).toBe(true);
    expect(verdicts()[1]).toEqual({
      type: 'recorded',
      verdictId: verdict.verdictId,
      kit: 'kit-1',
      recorded: true,
      recordId: 'R1',
      receipt: rec.body.receipt,
      rulesetVersion: '1.0.0',
      pieces: { piece: 1, of: 1 },
    });
    expect(tasks.pickedUp('RR123456785CN')?.verdictId).toBe(verdict.verdictId);
    expect(metrics).toMatchObject({ latency: [0], verdicts: ['accepted'], records: ['pickup.completed:ok'] });
  });

  it('RR123456784CN (bad check digit): rejected with WAYBILL_INVALID, red feedback, no record', async () => {
    await start();
    here();
    scan('RR123456784CN');
    weigh(1210);
    await pipeline.whenIdle();
    expect(verdicts()).toHaveLength(1);
    expect(verdicts()[0]).toMatchObject({ outcome: 'rejected', reasons: [{ code: 'WAYBILL_INVALID', severity: 'reject' }] });
    expect(feedback()[0]).toMatchObject({ beep: 'error', light: 'red' });
    expect(feedback()[0].text).toMatch(/^Rejected: This label is not a valid waybill number/);
    expect(sink.records).toEqual([]);
  });

  it('1800 g: needs-review with WEIGHT_MISMATCH; a confirm with its verdict id records it', async () => {
    await start();
    here();
    scan('RR123456785CN');
    weigh(1800);
    await pipeline.whenIdle();
    const [v] = verdicts();
    expect(v).toMatchObject({ outcome: 'needs-review', confirmable: true, reasons: [{ code: 'WEIGHT_MISMATCH', severity: 'review' }] });
    expect(feedback()[0]).toMatchObject({ beep: 'warn', light: 'amber' });
    expect(sink.records).toEqual([]);
    clock.tick(20_000);
    send('confirm', { verdictId: v.verdictId as string }, 'app-1');
    await pipeline.whenIdle();
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0].devices).toEqual(['scanner-1', 'scale-1', 'app-1']);
    expect(sink.records[0].body).toMatchObject({ confirmed: true, outcome: 'needs-review', reasons: [{ code: 'WEIGHT_MISMATCH', severity: 'review' }] });
    expect((sink.records[0].body.times as Record<string, unknown>).confirmedAt).toBe('2025-03-01T10:00:20.000Z');
    expect(verdicts()[1]).toMatchObject({ type: 'recorded', verdictId: v.verdictId, recorded: true });
    send('confirm', { verdictId: v.verdictId as string }, 'app-1');
    await pipeline.whenIdle();
    expect(verdicts()[2]).toMatchObject({ type: 'recorded', verdictId: v.verdictId, recorded: false, reason: 'NOT_CONFIRMABLE' });
    expect(sink.records).toHaveLength(1);
  });

  it('a confirm from another kit or after the review expired is refused', async () => {
    await start({ reviewTtlMs: 60_000 });
    here();
    scan('RR123456785CN');
    weigh(1800);
    await pipeline.whenIdle();
    const id = verdicts()[0].verdictId as string;
    send('confirm', { verdictId: id }, 'app-2', 'kit-2');
    await pipeline.whenIdle();
    expect(published.at(-1)).toMatchObject({ topic: 'cg/v1/kits/kit-2/verdicts', payload: { recorded: false, reason: 'WRONG_KIT' } });
    clock.tick(60_000);
    send('confirm', { verdictId: id }, 'app-1');
    await pipeline.whenIdle();
    expect(verdicts().at(-1)).toMatchObject({ recorded: false, reason: 'NOT_CONFIRMABLE' });
    expect(sink.records).toEqual([]);
  });

  it('the same waybill twice: DUPLICATE_PICKUP the second time', async () => {
    await start();
    here();
    scan('RR123456785CN');
    weigh(1210);
    await pipeline.whenIdle();
    weigh(0);
    scan('RR123456785CN');
    weigh(1210);
    await pipeline.whenIdle();
    const vs = verdicts().filter((v) => v.type === 'verdict');
    expect(vs.map((v) => v.outcome)).toEqual(['accepted', 'rejected']);
    expect(vs[1].reasons).toEqual([expect.objectContaining({ code: 'DUPLICATE_PICKUP', severity: 'reject' })]);
    expect(sink.records).toHaveLength(1);
  });

  it('a second scan while the first is still being recorded is a duplicate too', async () => {
    await start();
    here();
    sink.hold();
    scan('RR123456785CN');
    weigh(1210);
    while (verdicts().length === 0) await new Promise((r) => setImmediate(r));
    weigh(0);
    scan('RR123456785CN');
    weigh(1210);
    while (verdicts().length < 2) await new Promise((r) => setImmediate(r));
    sink.release();
    await pipeline.whenIdle();
    expect(verdicts().filter((v) => v.type === 'verdict').map((v) => v.outcome)).toEqual(['accepted', 'rejected']);
    expect(sink.records).toHaveLength(1);
  });

  it('a weight with stable:false alone yields no verdict', async () => {
    await start();
    weigh(1210, false);
    clock.tick(120_000);
    await pipeline.whenIdle();
    expect(published).toEqual([]);
  });

  it('a scan without a weight: the kit hears pending "waiting for weight" at once; the wait shows in scan->verdict', async () => {
    const scanToVerdict: number[] = [];
    let real = 0;
    await start({ metrics: { observeLatency: () => undefined, observeScanToVerdict: (ms) => scanToVerdict.push(ms), countVerdict: () => undefined, countRulesetRefused: () => undefined }, actionNow: () => real });
    here();
    scan('RR123456785CN');
    expect(onVerdicts()).toEqual([
      expect.objectContaining({ type: 'pending', kit: 'kit-1', waitingFor: 'weight', message: 'waiting for weight', windowMs: 30_000, scan: expect.objectContaining({ code: 'RR123456785CN', deviceId: 'scanner-1' }) }),
    ]);
    expect(onFeedback()).toEqual([{ beep: 'ok', light: 'amber', text: 'Waiting for weight: put the parcel on the scale.' }]);
    real += 12_000;
    weigh(1210);
    await pipeline.whenIdle();
    const verdict = verdicts().find((v) => v.type === 'verdict')!;
    expect(verdict.pairId).toBe(onVerdicts()[0].pairId);
    expect(verdict.outcome).toBe('accepted');
    expect((verdict.timings as { waitedMs: number }).waitedMs).toBe(12_000);
    expect(scanToVerdict).toHaveLength(1);
    expect(scanToVerdict[0]).toBeGreaterThanOrEqual(12_000);
  });

  it('weight first, scan 47 s later with the parcel still on the scale: accepted with that weight, no pending', async () => {
    let real = 0;
    await start({ actionNow: () => real });
    here();
    weigh(1210);
    for (let i = 0; i < 47; i++) {
      real += 1000;
      clock.tick(1000);
      weigh(1210);
    }
    scan('RR123456785CN');
    await pipeline.whenIdle();
    expect(onVerdicts().some((v) => v.type === 'pending')).toBe(false);
    expect(verdicts()[0]).toMatchObject({ type: 'verdict', outcome: 'accepted', weight: { grams: 1210 } });
    expect(sink.records.map((r) => r.kind)).toEqual(['pickup.completed']);
  });

  it('a scan with no weight gets NO_WEIGHT when the window closes', async () => {
    await start({ pairingWindowMs: 10_000 });
    here();
    scan('RR123456785CN');
    clock.tick(9_999);
    await pipeline.whenIdle();
    expect(verdicts()).toEqual([]);
    clock.tick(1);
    await pipeline.whenIdle();
    expect(verdicts()[0]).toMatchObject({ outcome: 'rejected', reasons: [{ code: 'NO_WEIGHT' }], weight: null, timings: { scanToVerdictMs: 10_000 } });
  });

  it('a refused record is answered recorded: false with the reason, and the parcel is not marked picked up', async () => {
    await start();
    here();
    sink.refuse('DISK_FULL');
    scan('RR123456785CN');
    weigh(1210);
    await pipeline.whenIdle();
    expect(verdicts()[1]).toMatchObject({ type: 'recorded', recorded: false, reason: 'DISK_FULL' });
    expect(feedback()[1]).toEqual({ beep: 'error', light: 'red', text: 'Not recorded: keep the parcel and try again.' });
    expect(tasks.pickedUp('RR123456785CN')).toBeUndefined();
    expect(metrics.records).toEqual(['pickup.completed:DISK_FULL']);
  });

  it('an exception becomes a pickup.exception record, acknowledged after it is durable', async () => {
    await start();
    here();
    send('exception', { taskId: 'T1', reason: 'customer-absent', note: 'rang twice' }, 'app-1');
    await pipeline.whenIdle();
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]).toMatchObject({
      kind: 'pickup.exception',
      stream: 'kit-1',
      devices: ['app-1'],
      body: { taskId: 'T1', taskKnown: true, waybill: 'RR123456785CN', reason: 'customer-absent', note: 'rang twice', position: { lat: kitPosition.lat } },
    });
    expect(verdicts()).toEqual([
      expect.objectContaining({ type: 'exception', taskId: 'T1', reason: 'customer-absent', recorded: true, recordId: 'R1', taskKnown: true }),
    ]);
    expect(tasks.exceptions('T1')).toEqual([{ reason: 'customer-absent', at: clock.now, recordId: 'R1' }]);
    expect(published.find((p) => p.topic === 'cg/v1/devices/app-1/commands/feedback')?.payload).toEqual({
      beep: 'ok',
      light: 'green',
      text: 'Exception recorded: customer absent.',
    });
  });

  it('UNKNOWN_TASK is a review by default and a reject by setting', async () => {
    await start({ severity: { UNKNOWN_TASK: 'reject' } });
    here();
    scan('RB123456785GB');
    weigh(500);
    await pipeline.whenIdle();
    expect(verdicts()[0]).toMatchObject({ outcome: 'rejected', reasons: [{ code: 'UNKNOWN_TASK', severity: 'reject' }] });
  });

  it('events without a kit, and events while stopped, are ignored', async () => {
    await start();
    await pipeline.stop();
    scan('RR123456785CN');
    weigh(1210);
    await pipeline.start();
    send('scan', { code: 'RR123456785CN' }, 'scanner-1', null);
    send('weight', { grams: 1210, stable: true }, 'scale-1', null);
    await pipeline.whenIdle();
    expect(published).toEqual([]);
  });

  it('a position without a fix is not kept: the geofence check then fires', async () => {
    await start();
    send('position', { lat: kitPosition.lat, lon: kitPosition.lon, fix: 'none' }, 'gps-1');
    scan('RR123456785CN');
    weigh(1210);
    await pipeline.whenIdle();
    expect(verdicts()[0]).toMatchObject({ outcome: 'needs-review', reasons: [{ code: 'OUT_OF_GEOFENCE' }] });
  });

  it('a replaced rule folder whose fixtures fail leaves the old version on new verdicts and counts the refusal', async () => {
    const rulesDir = join(tmp.dir, 'pickup');
    await cp('rules/sets/pickup', rulesDir, { recursive: true });
    const timers = clockTimers(clock);
    await start({ rulesDir, watchRules: true, rulesDebounceMs: 200, timers });

    const next = join(tmp.dir, 'next');
    await cp('rules/sets/pickup', next, { recursive: true });
    const head = JSON.parse(await readFile(join(next, 'ruleset.json'), 'utf8')) as { version: string };
    head.version = '9.0.0';
    await writeFile(join(next, 'ruleset.json'), JSON.stringify(head));
    const fixtures = JSON.parse(await readFile(join(next, 'fixtures.json'), 'utf8')) as { fixtures: { expect: unknown }[] };
    fixtures.fixtures[0].expect = { outcome: 'rejected', reasons: ['NO_WEIGHT'] };
    await writeFile(join(next, 'fixtures.json'), JSON.stringify(fixtures));

    const scheduled = timers.scheduled();
    await rename(rulesDir, join(tmp.dir, 'old'));
    await rename(next, rulesDir);
    await scheduled;
    clock.tick(200);
    await pipeline.rules.settled();
    expect(metrics.refused).toBe(1);
    expect(pipeline.rules.version).toBe('1.0.0');

    here();
    scan('RR123456785CN');
    weigh(1210);
    await pipeline.whenIdle();
    expect(verdicts()[0]).toMatchObject({ outcome: 'accepted', rulesetVersion: '1.0.0' });
    expect(sink.records[0].body.rulesetVersion).toBe('1.0.0');
  });
});
