import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceEvent, EventPayload, EventType } from '../../../devices/events.js';
import { LockerBank, kerongBankOptionsSchema } from '../../../devices/locker/index.js';
import type { RecordInput, RecordSink } from '../../../rules/records.js';
import type { RecordEnvelope } from '../../../cloud-sync/journal/records.js';
import { CodeLockout, ConsentBook, HashedCollectionCodes, LockerFlows, lockerConsent, type LockerBankPort, type LockerFlowsOptions, type ParcelTask } from '../../../rules/lockers/index.js';
import { LockBoardLine } from '../../../firmware-stubs/locker/lock-board.js';
import { bankDevice, fakeContext, MapStore } from '../../devices/locker/fake-context.js';

const CODE = '482913';

class MemorySink implements RecordSink {
  readonly records: RecordInput[] = [];
  async append(input: RecordInput): Promise<RecordEnvelope> {
    this.records.push(input);
    return { ...input, id: `r${this.records.length}`, gatewayId: 'gw', seq: this.records.length, createdAt: '', clock: 'ntp', bootId: 'b', monoMs: 0 };
  }
}

async function setup(flowOptions: Partial<LockerFlowsOptions> = {}) {
  const stub = new LockBoardLine({ boards: [1, 2], user: { closeAfterMs: 3000, parcel: 'put' } });
  let flows: LockerFlows | undefined;
  const toFlows = (deviceId: string, type: EventType, payload: Record<string, unknown>) =>
    flows?.handle({ deviceId, kit: 'branch-1', type, payload, receivedAt: Date.now() } as DeviceEvent);
  const rec = fakeContext(bankDevice, stub, new MapStore(), (type, payload) => void toFlows('bank-1', type, payload));
  const bank = new LockerBank(rec.ctx, kerongBankOptionsSchema.parse(bankDevice), { replyTimeoutMs: 100, retries: 1, unlockGapMs: 20 });
  const port: LockerBankPort = bank;
  const sink = new MemorySink();
  const published: { topic: string; payload: Record<string, unknown> }[] = [];
  const codeStore = new MapStore();
  const codes = new HashedCollectionCodes('gateway-secret', codeStore);
  flows = new LockerFlows({
    bankId: 'bank-1',
    terminalId: 'term-1',
    kit: 'branch-1',
    bank: port,
    sink,
    publish: (topic, payload) => void published.push({ topic, payload }),
    codes,
    ...flowOptions,
  });
  await bank.start();
  await flows.start();
  await vi.advanceTimersByTimeAsync(50);
  /** the terminal publishes; handling goes on while the test moves the clock */
  const terminal = async <T extends EventType>(type: T, payload: EventPayload<T>) => {
    void toFlows('term-1', type, payload as Record<string, unknown>);
    await vi.advanceTimersByTimeAsync(0);
  };
  const feedback = () => published.filter((p) => p.topic === 'cg/v1/devices/term-1/commands/feedback').map((p) => p.payload);
  const unlocks = () => rec.links.flatMap((l) => l.writes).filter((w) => w.split(' ')[2] === '31');
  const stop = async () => {
    await bank.stop();
    await flows?.stop();
  };
  return { stub, bank, flows, sink, published, codes, codeStore, terminal, feedback, unlocks, stop, rec };
}

/** a parcel already in A01 and A03 for courier-7 */
async function withParcels(ctx: Awaited<ReturnType<typeof setup>>) {
  for (const [id, lock, waybill] of [
    ['A01', 1, 'RB123456785GB'],
    ['A03', 3, 'SF1234567890123'],
  ] as const) {
    await ctx.bank.reserve(id);
    await ctx.bank.occupy(id, { waybill });
    ctx.stub.setParcel(1, lock, true);
    ctx.stub.setUser(1, lock, { closeAfterMs: 2000, parcel: 'take' });
  }
  await ctx.codes.set({ courier: 'courier-7', bank: 'bank-1', code: CODE, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
  await vi.advanceTimersByTimeAsync(600);
}

describe('LockerFlows end to end (stub board, fake line, fake terminal)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2025-03-01T09:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drops off a weighed parcel: validates, opens a compartment that fits, records dropped-off when the door closes on it', async () => {
    const t = await setup({ hasScale: true });
    await t.terminal('scan', { code: 'RB123456785GB', symbology: 'code128' });
    expect(t.unlocks()).toEqual([]);
    expect(t.published.at(-1)?.payload).toMatchObject({ screen: 'weigh' });
    await t.terminal('weight', { grams: 3200, stable: true });
    const unlockedAt = Date.now();
    await vi.advanceTimersByTimeAsync(100);
    expect(t.unlocks()).toEqual(['02 12 31 03 48']);
    expect(t.bank.compartment('A03')).toMatchObject({ status: 'reserved', door: 'open' });
    expect(t.sink.records).toEqual([]);
    await vi.advanceTimersByTimeAsync(4000);
    expect(t.sink.records).toEqual([
      {
        kind: 'locker.event',
        stream: 'bank-1',
        kit: 'branch-1',
        devices: ['bank-1', 'term-1'],
        body: {
          event: 'dropped-off',
          compartment: 'A03',
          waybill: 'RB123456785GB',
          grams: 3200,
          size: 'M',
          bank: 'bank-1',
          terminal: 'term-1',
          at: expect.any(String),
        },
      },
    ]);
    // the record is made at the first poll after the user closed the door (3 s after the unlock)
    const lag = Date.parse(t.sink.records[0].body.at as string) - (unlockedAt + 3000);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(600);
    expect(t.bank.compartment('A03')).toMatchObject({ status: 'occupied', door: 'closed', occupied: true, parcel: { waybill: 'RB123456785GB', grams: 3200 } });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'accepted', compartment: 'A03', beep: 'ok', light: 'green' });
    expect(t.unlocks()).toEqual(['02 12 31 03 48']);
    await t.stop();
  });

  it('refuses a waybill already in a locker and frees a compartment whose door closes empty', async () => {
    const t = await setup();
    t.stub.setUser(1, 1, { closeAfterMs: 2000, parcel: 'keep' });
    await t.terminal('scan', { code: 'SF1234567890123' });
    await vi.advanceTimersByTimeAsync(3000);
    expect(t.unlocks()).toEqual(['02 10 31 03 46']);
    expect(t.sink.records).toEqual([]);
    expect(t.bank.compartment('A01')).toMatchObject({ status: 'free', door: 'closed' });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'info', compartment: 'A01' });

    await t.bank.reserve('A02');
    await t.bank.occupy('A02', { waybill: 'JT1234567890123' });
    await t.terminal('scan', { code: 'JT1234567890123' });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'rejected', reasons: ['ALREADY_IN_LOCKER'] });
    expect(t.unlocks()).toEqual(['02 10 31 03 46']);
    await t.stop();
  });

  it('refuses a waybill with a wrong check digit and opens nothing', async () => {
    const t = await setup();
    await t.terminal('scan', { code: 'RB123456786GB' });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'rejected', reasons: ['WAYBILL_INVALID'] });
    expect(t.unlocks()).toEqual([]);
    expect(t.sink.records).toEqual([]);
    await t.stop();
  });

  it('a cancel with the door open and the door closed empty frees the compartment', async () => {
    const t = await setup();
    t.stub.setUser(1, 1, { closeAfterMs: null, parcel: 'keep' });
    await t.terminal('scan', { code: 'RB123456785GB' });
    await vi.advanceTimersByTimeAsync(100);
    await t.terminal('cancel', {});
    t.stub.close(1, 1);
    await vi.advanceTimersByTimeAsync(600);
    expect(t.bank.compartment('A01')?.status).toBe('free');
    expect(t.sink.records).toEqual([]);
    await t.stop();
  });

  it('collects a courier\u2019s parcels one after another with the code and records collected for each', async () => {
    const t = await setup();
    await withParcels(t);
    await t.terminal('code', { code: CODE });
    await vi.advanceTimersByTimeAsync(100);
    expect(t.unlocks()).toEqual(['02 10 31 03 46']);
    expect(t.bank.compartment('A01')?.status).toBe('collecting');
    await vi.advanceTimersByTimeAsync(2600);
    expect(t.unlocks()).toEqual(['02 10 31 03 46', '02 12 31 03 48']);
    await vi.advanceTimersByTimeAsync(2600);
    expect(t.sink.records.map((r) => r.body)).toEqual([
      expect.objectContaining({ event: 'collected', compartment: 'A01', waybill: 'RB123456785GB', courier: 'courier-7' }),
      expect.objectContaining({ event: 'collected', compartment: 'A03', waybill: 'SF1234567890123', courier: 'courier-7' }),
    ]);
    expect(t.bank.list().filter((c) => c.status !== 'free')).toEqual([]);
    expect(t.feedback().at(-1)).toMatchObject({ result: 'accepted', text: 'Collected 2 parcel(s)' });
    expect(JSON.stringify(t.published)).not.toContain(CODE);
    expect(JSON.stringify(t.sink.records)).not.toContain(CODE);
    await t.stop();
  });

  it('opens them together when configured, and a scanned code works like a typed one', async () => {
    const t = await setup({ collectMode: 'together' });
    await withParcels(t);
    await t.terminal('scan', { code: CODE, symbology: 'qr' });
    await vi.advanceTimersByTimeAsync(200);
    expect(t.unlocks()).toEqual(['02 10 31 03 46', '02 12 31 03 48']);
    await vi.advanceTimersByTimeAsync(3000);
    expect(t.sink.records.map((r) => r.body.compartment)).toEqual(['A01', 'A03']);
    await t.stop();
  });

  it('refuses a wrong code, counts it, and opens nothing', async () => {
    const t = await setup();
    await withParcels(t);
    await t.terminal('code', { code: '000000' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.feedback().at(-1)).toMatchObject({ result: 'rejected', reasons: ['WRONG_CODE'], attemptsLeft: 4 });
    expect(t.unlocks()).toEqual([]);
    expect(t.sink.records).toEqual([]);
    expect(t.flows.describe()).toMatchObject({ wrongCodes: 1 });
    await t.stop();
  });

  it('locks the terminal out after five wrong codes, even for the right code, until the lockout ends', async () => {
    const t = await setup({ lockoutMs: 60_000 });
    await withParcels(t);
    for (let i = 0; i < 4; i++) await t.terminal('code', { code: `99999${i}` });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'rejected', attemptsLeft: 1 });
    await t.terminal('code', { code: '999995' });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'locked-out', until: '2025-03-01T09:01:00.650Z' });
    expect(t.published.at(-1)?.payload).toMatchObject({ screen: 'locked-out' });
    await t.terminal('code', { code: CODE });
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.feedback().at(-1)).toMatchObject({ result: 'locked-out', reasons: ['LOCKED_OUT'] });
    expect(t.unlocks()).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    await t.terminal('code', { code: CODE });
    await vi.advanceTimersByTimeAsync(100);
    expect(t.unlocks()).toEqual(['02 10 31 03 46']);
    await t.stop();
  });

  it('counts codes scanned as `scan` in the same lockout: five wrong scans lock the terminal, the right code scanned then opens nothing', async () => {
    const t = await setup({ lockoutMs: 60_000 });
    await withParcels(t);
    for (let i = 0; i < 4; i++) await t.terminal('scan', { code: `1234567${i}` });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'rejected', reasons: ['WAYBILL_INVALID'], attemptsLeft: 1 });
    await t.terminal('scan', { code: '12345679' });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'locked-out', reasons: ['WRONG_CODE', 'LOCKED_OUT'] });
    await t.terminal('scan', { code: CODE });
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.feedback().at(-1)).toMatchObject({ result: 'locked-out', reasons: ['LOCKED_OUT'] });
    // typed and scanned wrong codes add up
    await vi.advanceTimersByTimeAsync(60_000);
    await t.terminal('code', { code: '000001' });
    await t.terminal('scan', { code: '000002' });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'rejected', attemptsLeft: 3 });
    expect(t.unlocks()).toEqual([]);
    await t.stop();
  });

  it('keeps a lockout across a restart: flows built again on the same store refuse the right code and show the lockout', async () => {
    const store = new MapStore();
    const lockout = () => new CodeLockout({ store, lockoutMs: 60_000 });
    const first = await setup({ lockout: lockout() });
    await withParcels(first);
    for (let i = 0; i < 5; i++) await first.terminal('code', { code: `99999${i}` });
    expect(first.feedback().at(-1)).toMatchObject({ result: 'locked-out' });
    await first.stop();

    const again = await setup({ lockout: lockout() });
    await withParcels(again);
    expect(again.published.find((p) => p.topic.endsWith('/commands/show'))?.payload).toMatchObject({ screen: 'locked-out' });
    await again.terminal('code', { code: CODE });
    await vi.advanceTimersByTimeAsync(1000);
    expect(again.feedback().at(-1)).toMatchObject({ result: 'locked-out', reasons: ['LOCKED_OUT'] });
    expect(again.unlocks()).toEqual([]);
    await again.stop();
  });

  it('opens only the compartments of the courier\u2019s waybills', async () => {
    const t = await setup();
    await withParcels(t);
    await t.codes.set({
      courier: 'courier-8',
      bank: 'bank-1',
      code: '111222',
      waybills: ['SF1234567890123'],
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await t.terminal('code', { code: '111222' });
    await vi.advanceTimersByTimeAsync(3000);
    expect(t.unlocks()).toEqual(['02 12 31 03 48']);
    expect(t.sink.records.map((r) => [r.body.compartment, r.body.courier])).toEqual([['A03', 'courier-8']]);
    expect(t.bank.compartment('A01')?.status).toBe('occupied');
    await t.stop();
  });
});

describe('HashedCollectionCodes', () => {
  it('keeps only a keyed hash, matches per bank, and forgets expired codes', async () => {
    const store = new MapStore();
    const codes = new HashedCollectionCodes('s3cret', store);
    await codes.set({ courier: 'c-1', bank: 'bank-1', code: '482913', expiresAt: '2025-03-01T10:00:00Z' });
    expect(JSON.stringify([...store.data.values()])).not.toContain('482913');
    const at9 = Date.parse('2025-03-01T09:00:00Z');
    expect(codes.match('bank-1', '482913', at9)).toEqual({ courier: 'c-1', bank: 'bank-1', expiresAt: '2025-03-01T10:00:00Z', waybills: undefined });
    expect(codes.match('bank-2', '482913', at9)).toBeUndefined();
    expect(codes.match('bank-1', '482914', at9)).toBeUndefined();
    expect(codes.match('bank-1', '482913', Date.parse('2025-03-01T10:00:00Z'))).toBeUndefined();
    expect(new HashedCollectionCodes('s3cret', store).match('bank-1', '482913', at9)?.courier).toBe('c-1');
    expect(new HashedCollectionCodes('other', store).match('bank-1', '482913', at9)).toBeUndefined();
    await codes.set({ courier: 'c-1', bank: 'bank-1', code: '555555', expiresAt: '2025-03-01T10:00:00Z' });
    expect(codes.match('bank-1', '482913', at9)).toBeUndefined();
    expect(await codes.prune(Date.parse('2025-03-01T11:00:00Z'))).toBe(1);
    expect(codes.size()).toBe(0);
  });
});

describe('consent before a locker', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2025-03-01T09:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const tasks = new Map<string, ParcelTask>([
    ['RB123456785GB', { taskId: 'T1', kit: 'van-1', handover: 'in-person' }],
    ['RR123456785CN', { taskId: 'T2', kit: 'van-1', handover: 'locker', consent: true }],
    ['SF1234567890123', { taskId: 'T3', kit: 'van-1', handover: 'locker', consent: false }],
  ]);
  const book = (store = new MapStore()) => new ConsentBook({ secret: 'gateway-secret', store, taskOf: (w) => tasks.get(w) });

  it('decides from the task: a locker or station with consent, or consent at the terminal; a parcel no task expects passes', () => {
    expect(lockerConsent(undefined, false)).toEqual({ ok: true });
    expect(lockerConsent({ taskId: 'a', kit: 'k', handover: 'locker', consent: true }, false)).toMatchObject({ ok: true, via: 'task' });
    expect(lockerConsent({ taskId: 'a', kit: 'k', handover: 'station', consent: true }, false)).toMatchObject({ ok: true, via: 'task' });
    expect(lockerConsent({ taskId: 'a', kit: 'k', handover: 'station', consent: false }, false)).toMatchObject({ ok: false });
    expect(lockerConsent({ taskId: 'a', kit: 'k', handover: 'neighbour', consent: true }, false)).toMatchObject({ ok: false, text: expect.stringContaining('neighbour') });
    expect(lockerConsent({ taskId: 'a', kit: 'k' }, false)).toMatchObject({ ok: false, text: expect.stringContaining('in-person') });
    expect(lockerConsent({ taskId: 'a', kit: 'k', handover: 'in-person' }, true)).toMatchObject({ ok: true, via: 'terminal' });
  });

  it('refuses a drop-off the customer did not consent to, on record, and opens nothing', async () => {
    const t = await setup({ consent: book() });
    await t.terminal('scan', { code: 'RB123456785GB' });
    await vi.advanceTimersByTimeAsync(100);
    expect(t.feedback().at(-1)).toMatchObject({ result: 'rejected', reasons: ['CONSENT_MISSING'], text: expect.stringContaining('in-person') });
    expect(t.published.at(-1)?.payload).toMatchObject({ screen: 'consent' });
    expect(t.unlocks()).toEqual([]);
    expect(t.sink.records).toEqual([
      {
        kind: 'consent.missing',
        stream: 'bank-1',
        kit: 'branch-1',
        devices: ['bank-1', 'term-1'],
        body: { action: 'drop-off', waybill: 'RB123456785GB', taskId: 'T1', taskKit: 'van-1', handover: 'in-person', consent: null, bank: 'bank-1', terminal: 'term-1', at: '2025-03-01T09:00:00.050Z' },
      },
    ]);
    // the wait for a consent code ends by itself
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.published.at(-1)?.payload).toMatchObject({ screen: 'idle' });
    await t.stop();
  });

  it('drops off a parcel whose task consented to a locker', async () => {
    const t = await setup({ consent: book() });
    await t.terminal('scan', { code: 'RR123456785CN' });
    await vi.advanceTimersByTimeAsync(4000);
    expect(t.sink.records.map((r) => [r.kind, r.body.event])).toEqual([['locker.event', 'dropped-off']]);
    await t.stop();
  });

  it('takes the consent code dispatch sent the customer: a wrong one counts, the right one is recorded once and the drop-off goes on', async () => {
    const store = new MapStore();
    const consent = book(store);
    await consent.set({ waybill: 'SF1234567890123', code: '7305', expiresAt: '2025-03-01T12:00:00Z' });
    expect(JSON.stringify([...store.data])).not.toContain('7305');
    const t = await setup({ consent });
    await t.terminal('scan', { code: 'SF1234567890123' });
    expect(t.feedback().at(-1)).toMatchObject({ reasons: ['CONSENT_MISSING'] });
    await t.terminal('code', { code: '7306' });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'rejected', reasons: ['WRONG_CODE'], attemptsLeft: 4 });
    expect(t.unlocks()).toEqual([]);
    await t.terminal('code', { code: '7305' });
    await vi.advanceTimersByTimeAsync(4000);
    expect(t.sink.records.map((r) => r.kind)).toEqual(['consent.missing', 'consent.given', 'locker.event']);
    expect(t.sink.records[1].body).toMatchObject({ waybill: 'SF1234567890123', taskId: 'T3', handover: 'locker', via: 'terminal-code' });
    expect(t.sink.records[2].body).toMatchObject({ event: 'dropped-off', waybill: 'SF1234567890123' });
    // the consent outlives a restart (it is in the store) and the code is used up
    expect(book(store).check('SF1234567890123')).toMatchObject({ ok: true, via: 'terminal' });
    expect(await book(store).redeem('SF1234567890123', '7305', Date.now())).toBe(false);
    expect(JSON.stringify(t.sink.records)).not.toContain('7305');
    await t.stop();
  });

  it('wrong consent codes lock the terminal out like wrong collection codes, and the locked-out screen stays', async () => {
    const t = await setup({ consent: book() });
    await t.terminal('scan', { code: 'RB123456785GB' });
    for (let i = 0; i < 5; i++) await t.terminal('code', { code: `99${i}999` });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'locked-out', reasons: ['WRONG_CODE', 'LOCKED_OUT'] });
    await vi.advanceTimersByTimeAsync(150_000);
    expect(t.published.at(-1)?.payload).toMatchObject({ screen: 'locked-out' });
    expect(t.unlocks()).toEqual([]);
    await t.stop();
  });

  it('leaves shut, on record, the compartment of a parcel whose customer did not consent, and collects the rest', async () => {
    // SF1234567890123 in A03 is a parcel no task expects
    const consent = new ConsentBook({ secret: 'gateway-secret', taskOf: (w) => (w === 'RB123456785GB' ? tasks.get(w) : undefined) });
    const t = await setup({ consent });
    await withParcels(t);
    await t.terminal('code', { code: CODE });
    await vi.advanceTimersByTimeAsync(3000);
    // A01 holds RB123456785GB (in-person): only A03 opens
    expect(t.unlocks()).toEqual(['02 12 31 03 48']);
    expect(t.sink.records.map((r) => [r.kind, r.body.action ?? r.body.event, r.body.compartment])).toEqual([
      ['consent.missing', 'collection', 'A01'],
      ['locker.event', 'collected', 'A03'],
    ]);
    expect(t.sink.records[0].body).toMatchObject({ courier: 'courier-7', taskId: 'T1' });
    expect(t.feedback().at(-1)).toMatchObject({ text: 'Collected 1 parcel(s)', reasons: ['CONSENT_MISSING:A01'] });
    expect(t.bank.compartment('A01')?.status).toBe('occupied');
    await t.stop();
  });
});

describe('customer feedback at the terminal', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2025-03-01T09:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('offers a rating after a drop-off and writes customer.feedback on its own stream, with the time since the drop-off', async () => {
    const t = await setup();
    await t.terminal('scan', { code: 'RB123456785GB' });
    await vi.advanceTimersByTimeAsync(4000);
    const droppedAt = Date.parse(t.sink.records[0].body.at as string);
    expect(t.published.at(-1)?.payload).toMatchObject({ screen: 'rate', scores: [1, 2, 3, 4, 5], complaints: ['damaged', 'late', 'rude', 'wrong-place', 'other'] });
    await vi.advanceTimersByTimeAsync(20_000);
    await t.terminal('rating', { score: 4, note: 'easy' });
    expect(t.sink.records[1]).toEqual({
      kind: 'customer.feedback',
      stream: 'feedback:bank-1',
      kit: 'branch-1',
      devices: ['bank-1', 'term-1'],
      body: {
        score: 4,
        complaint: null,
        note: 'easy',
        after: 'dropped-off',
        waybills: ['RB123456785GB'],
        compartments: ['A01'],
        eventAt: new Date(droppedAt).toISOString(),
        sinceEventMs: Date.now() - droppedAt,
        bank: 'bank-1',
        terminal: 'term-1',
        at: new Date(Date.now()).toISOString(),
      },
    });
    expect(t.sink.records[1].body.sinceEventMs).toBeGreaterThanOrEqual(20_000);
    expect(t.feedback().at(-1)).toMatchObject({ result: 'accepted' });
    expect(t.published.at(-1)?.payload).toMatchObject({ screen: 'idle' });
    // one rating per drop-off
    await t.terminal('rating', { score: 1 });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'rejected', reasons: ['NOTHING_TO_RATE'] });
    expect(t.sink.records).toHaveLength(2);
    await t.stop();
  });

  it('takes a complaint after a collection, naming the courier; nothing to rate once the window ends or before any handover', async () => {
    const t = await setup();
    await t.terminal('rating', { complaint: 'late' });
    expect(t.feedback().at(-1)).toMatchObject({ result: 'rejected', reasons: ['NOTHING_TO_RATE'] });
    await withParcels(t);
    await t.terminal('code', { code: CODE });
    await vi.advanceTimersByTimeAsync(6000);
    expect(t.published.at(-1)?.payload).toMatchObject({ screen: 'rate' });
    await t.terminal('rating', { complaint: 'damaged', note: 'box crushed' });
    const fb = t.sink.records.at(-1)!;
    expect(fb).toMatchObject({ kind: 'customer.feedback', stream: 'feedback:bank-1' });
    expect(fb.body).toMatchObject({ score: null, complaint: 'damaged', note: 'box crushed', after: 'collected', waybills: ['RB123456785GB', 'SF1234567890123'], compartments: ['A01', 'A03'], courier: 'courier-7' });
    expect(fb.body.sinceEventMs).toBeGreaterThanOrEqual(0);
    expect(t.feedback().at(-1)).toMatchObject({ result: 'accepted', text: expect.stringContaining('complaint') });

    // a later drop-off, then the rating window ends: the screen goes idle and a late rating is refused
    t.stub.setUser(1, 1, { closeAfterMs: 2000, parcel: 'put' });
    await t.terminal('scan', { code: 'RR123456785CN' });
    await vi.advanceTimersByTimeAsync(4000);
    expect(t.published.at(-1)?.payload).toMatchObject({ screen: 'rate' });
    await vi.advanceTimersByTimeAsync(300_000);
    expect(t.published.at(-1)?.payload).toMatchObject({ screen: 'idle' });
    await t.terminal('rating', { score: 5 });
    expect(t.feedback().at(-1)).toMatchObject({ reasons: ['NOTHING_TO_RATE'] });
    expect(t.sink.records.filter((r) => r.kind === 'customer.feedback')).toHaveLength(1);
    await t.stop();
  });
});
