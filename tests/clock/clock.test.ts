import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import sinon from 'sinon';
import pino from 'pino';
import {
  ClockMonitor,
  TIMESYNC_FLAG,
  median,
  systemSyncProbe,
  trustedOffset,
  type SystemProbeDeps,
} from '../../clock/clock.js';
import type { RecordInput, RecordSink } from '../../rules/records.js';
import type { RecordEnvelope } from '../../cloud-sync/journal/records.js';
import { RecordRefusedError } from '../../rules/records.js';

const log = pino({ level: 'silent' });
const FAKED: ('setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval' | 'Date')[] = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'];

class MemorySink implements RecordSink {
  readonly records: RecordInput[] = [];
  refuse = false;
  async append(input: RecordInput): Promise<RecordEnvelope> {
    if (this.refuse) throw new RecordRefusedError('IO', 'refused in test');
    this.records.push(input);
    return {
      ...input,
      id: String(this.records.length),
      gatewayId: 'gw',
      seq: this.records.length,
      createdAt: new Date().toISOString(),
      clock: 'unsynced',
      bootId: 'b',
      monoMs: 0,
    };
  }
}

function deps(over: Partial<SystemProbeDeps>): SystemProbeDeps {
  return {
    platform: 'linux',
    run: async () => {
      throw Object.assign(new Error('spawn timedatectl ENOENT'), { code: 'ENOENT' });
    },
    exists: async () => false,
    ...over,
  };
}

describe('systemSyncProbe', () => {
  it('believes timedatectl yes / no without looking at the flag file', async () => {
    const exists = sinon.fake.resolves(true);
    expect(await systemSyncProbe(deps({ run: async () => 'yes\n', exists }))()).toBe(true);
    expect(await systemSyncProbe(deps({ run: async () => 'no\n', exists }))()).toBe(false);
    expect(exists.callCount).toBe(0);
  });

  it('asks timedatectl for exactly NTPSynchronized', async () => {
    const run = sinon.fake.resolves('yes');
    await systemSyncProbe(deps({ run }))();
    expect(run.firstCall.args[0]).toBe('timedatectl');
    expect(run.firstCall.args[1]).toEqual(['show', '-p', 'NTPSynchronized', '--value']);
  });

  it('falls back to the timesyncd flag file when timedatectl is missing', async () => {
    const exists = sinon.fake((p: string) => Promise.resolve(p === TIMESYNC_FLAG));
    expect(await systemSyncProbe(deps({ exists }))()).toBe(true);
    expect(await systemSyncProbe(deps({ exists: async () => false }))()).toBe(false);
  });

  it('falls back when timedatectl answers something else, and is unsynced off Linux', async () => {
    expect(await systemSyncProbe(deps({ run: async () => '', exists: async () => true }))()).toBe(true);
    expect(await systemSyncProbe(deps({ platform: 'darwin', run: async () => 'yes' }))()).toBe(false);
  });
});

describe('trustedOffset', () => {
  const opts = { minSamples: 5, outlierMs: 1000, minAgreement: 0.6 };

  it('is the median of the samples left after outliers are dropped', () => {
    // median of all = 310; 9000 and -5000 are outliers; kept 300,310,320,330,400 -> 320
    expect(trustedOffset([300, 9000, 310, -5000, 320, 330, 400], opts)).toEqual({ offsetMs: 320, samples: 5 });
  });

  it('is unknown with too few samples or too little agreement', () => {
    expect(trustedOffset([100, 100, 100, 100], opts)).toBeUndefined();
    // 5 agree, 4 far away: 5/9 < 0.6
    expect(trustedOffset([0, 0, 0, 0, 0, 5000, 6000, 7000, 8000], opts)).toBeUndefined();
  });

  it('median handles even and odd counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('ClockMonitor', () => {
  let clock: sinon.SinonFakeTimers;
  const T0 = Date.parse('2025-03-10T08:00:00.000Z');

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: T0, toFake: FAKED });
  });
  afterEach(() => clock.restore());

  function monitor(synced: () => boolean, sink: RecordSink) {
    return new ClockMonitor({
      sink,
      stream: 'gw-1',
      log,
      probe: async () => synced(),
      now: () => Date.now(),
      mono: () => Date.now() - T0 + 5000,
      bootId: 'boot-1',
    });
  }

  /** one GPS second per system second; the system clock is `skewMs` ahead */
  async function feed(m: ClockMonitor, n: number, skewMs: number, latencyMs = 200): Promise<void> {
    for (let i = 0; i < n; i++) {
      await clock.tickAsync(1000);
      const gps = new Date(Date.now() - skewMs - latencyMs);
      gps.setUTCMilliseconds(0);
      m.offerGps(gps.toISOString(), Date.now());
    }
  }

  it('reports ntp when the probe says synchronised and writes no clock.sync', async () => {
    const sink = new MemorySink();
    const m = monitor(() => true, sink);
    await m.start();
    expect(m.quality()).toBe('ntp');
    await feed(m, 10, 0);
    expect(sink.records).toHaveLength(0);
    expect(m.offsetMs()).toBe(0);
    await m.stop();
  });

  it('unsynced with a clock 90 s ahead: offset learnt, one clock.sync, quality stays unsynced', async () => {
    const sink = new MemorySink();
    const m = monitor(() => false, sink);
    await m.start();
    expect(m.quality()).toBe('unsynced');
    await feed(m, 4, 90_000);
    expect(m.offsetMs()).toBeUndefined();
    expect(sink.records).toHaveLength(0);
    await feed(m, 1, 90_000);
    await clock.tickAsync(0);
    // received on whole seconds; GPS second = floor(now - 90 s - 200 ms) = now - 91 s
    expect(m.offsetMs()).toBe(91_000);
    expect(sink.records).toHaveLength(1);
    const rec = sink.records[0];
    expect(rec.kind).toBe('clock.sync');
    expect(rec.stream).toBe('gw-1');
    expect(rec.body).toMatchObject({ bootId: 'boot-1', offsetMs: 91_000, source: 'gps', samples: 5 });
    expect(rec.body.systemAt).toBe(new Date(T0 + 5000).toISOString());
    expect(rec.body.gpsAt).toBe(new Date(T0 + 5000 - 91_000).toISOString());
    expect(rec.body.monoMs).toBe(10_000);
    expect(m.quality()).toBe('unsynced');
    await feed(m, 20, 90_000);
    await clock.tickAsync(0);
    expect(sink.records).toHaveLength(1);
    await m.stop();
  });

  it('unsynced but GPS agrees within 2 s: quality gps, and the small offset is recorded', async () => {
    const sink = new MemorySink();
    const m = monitor(() => false, sink);
    await m.start();
    await feed(m, 6, 0, 300);
    await clock.tickAsync(0);
    expect(m.offsetMs()).toBe(1000);
    expect(m.quality()).toBe('gps');
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0].body.offsetMs).toBe(1000);
    await m.stop();
  });

  it('drops outlying samples (a receiver still on its default leap seconds, a garbled time)', async () => {
    const sink = new MemorySink();
    const m = monitor(() => false, sink);
    await m.start();
    await feed(m, 3, 0, 0);
    await clock.tickAsync(1000);
    m.offerGps(new Date(Date.now() - 18_000).toISOString(), Date.now());
    expect(m.offerGps('not a time', Date.now())).toBe('invalid');
    await feed(m, 2, 0, 0);
    await clock.tickAsync(0);
    expect(m.offsetMs()).toBe(0);
    expect(m.gpsOffset()).toEqual({ offsetMs: 0, samples: 5 });
    expect(m.stats().invalidSamples).toBe(1);
    await m.stop();
  });

  it('retries the clock.sync record when the sink refuses it', async () => {
    const sink = new MemorySink();
    sink.refuse = true;
    const m = monitor(() => false, sink);
    await m.start();
    await feed(m, 5, 3000, 0);
    await clock.tickAsync(0);
    expect(sink.records).toHaveLength(0);
    sink.refuse = false;
    await feed(m, 1, 3000, 0);
    await clock.tickAsync(0);
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0].body.offsetMs).toBe(3000);
    await m.stop();
  });

  it('forgets samples older than the window, so a stale offset is not trusted', async () => {
    const sink = new MemorySink();
    const m = monitor(() => true, sink);
    await m.start();
    await feed(m, 5, 0, 0);
    expect(m.gpsOffset()).toEqual({ offsetMs: 0, samples: 5 });
    await clock.tickAsync(11 * 60_000);
    await feed(m, 1, 0, 0);
    expect(m.gpsOffset()).toBeUndefined();
    await m.stop();
  });

  it('re-probes on its interval and turns ntp when the system synchronises', async () => {
    const sink = new MemorySink();
    let synced = false;
    const m = monitor(() => synced, sink);
    await m.start();
    expect(m.quality()).toBe('unsynced');
    synced = true;
    await clock.tickAsync(59_000);
    expect(m.quality()).toBe('unsynced');
    await clock.tickAsync(1000);
    expect(m.quality()).toBe('ntp');
    await m.stop();
  });

  it('stamps records with quality, boot id, monotonic ms and system time', async () => {
    const m = monitor(() => false, new MemorySink());
    await m.start();
    await clock.tickAsync(1500);
    expect(m.stamp()).toEqual({
      clock: 'unsynced',
      bootId: 'boot-1',
      monoMs: 6500,
      createdAt: new Date(T0 + 1500).toISOString(),
    });
    await m.stop();
  });

  it('makes a ULID boot id when none is given', () => {
    const m = new ClockMonitor({ sink: new MemorySink(), stream: 'gw', log, probe: async () => false });
    expect(m.bootId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});
