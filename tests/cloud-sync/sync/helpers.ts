import { once, type EventEmitter } from 'node:events';
import sinon from 'sinon';
import { MemoryOutbox } from '../../../cloud-sync/memory-outbox.js';
import type { TimerPort } from '../../../core/timers.js';
import type { DownlinkHandlers, DownlinkState, DownlinkStatePort } from '../../../cloud-sync/sync/downlink-items.js';
import type { RecordInput } from '../../../rules/records.js';
import type { RecordEnvelope } from '../../../cloud-sync/journal/records.js';

export type FakeClock = sinon.SinonFakeTimers;

/**
 * A sinon clock installed on a private object, not on the real globals: only the code
 * handed the port sees fake time, while sockets and fetch keep real timers.
 */
export function fakeTimers(start = 1_700_000_000_000): { clock: FakeClock; timers: TimerPort } {
  const target = { setTimeout, clearTimeout, setInterval, clearInterval, Date };
  const clock = sinon.useFakeTimers({ global: target, now: start, toFake: ['setTimeout', 'clearTimeout', 'Date'] } as Parameters<
    typeof sinon.useFakeTimers
  >[0]);
  return {
    clock,
    timers: {
      setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
      clearTimeout: (h) => clock.clearTimeout(h as Parameters<FakeClock['clearTimeout']>[0]),
      now: () => clock.now,
    },
  };
}

export function memoryOutbox(gatewayId = 'gw-1'): MemoryOutbox {
  return new MemoryOutbox({ gatewayId, bootId: 'boot-1', clock: () => 'ntp' });
}

export function pickup(kit: string, n: number): RecordInput {
  return { kind: 'pickup.completed', stream: kit, kit, body: { waybill: `RR${String(n).padStart(9, '0')}CN`, grams: 1000 + n } };
}

export async function fill(outbox: MemoryOutbox, n: number, kits = ['kit-1', 'kit-2']): Promise<RecordEnvelope[]> {
  const out: RecordEnvelope[] = [];
  for (let i = 0; i < n; i++) out.push(await outbox.append(pickup(kits[i % kits.length], i)));
  return out;
}

export async function nextEvent<T = unknown>(emitter: EventEmitter, name: string, timeoutMs = 10_000): Promise<T> {
  const [v] = (await once(emitter, name, { signal: AbortSignal.timeout(timeoutMs) })) as [T];
  return v;
}

/** resolves once cond() holds, polling on real time (for real sockets), failing after timeoutMs */
export async function until(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export class MemoryState implements DownlinkStatePort {
  value: DownlinkState | undefined;
  writes = 0;
  constructor(initial?: DownlinkState) {
    this.value = initial;
  }
  get(): DownlinkState | undefined {
    return this.value === undefined ? undefined : structuredClone(this.value);
  }
  set(s: DownlinkState): void {
    this.writes++;
    this.value = structuredClone(s);
  }
}

export function recordingHandlers(rulesetOk = true): DownlinkHandlers & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    onTask: (task, kind) => void calls.push([kind, task.id]),
    onTaskCancel: (taskId) => void calls.push(['task.cancel', taskId]),
    onRuleset: async (rs) => {
      calls.push(['ruleset', rs.version]);
      return rulesetOk ? { ok: true } : { ok: false, reason: 'fixture 3 failed' };
    },
    onConfigPatch: (patch) => void calls.push(['config', patch]),
  };
}


/** a real aedes broker on a loopback port; `accept(username, password)` decides CONNECT */
export async function aedesBroker(
  accept: (username: string | undefined, password: string | undefined) => boolean = () => true,
  /** whether a subscription to this topic is granted (all are by default) */
  grant: (topic: string) => boolean = () => true,
): Promise<{ url: string; close: () => Promise<void> }> {
  const { Aedes } = await import('aedes');
  const net = await import('node:net');
  const broker = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      if (accept(username, password?.toString('utf8'))) return done(null, true);
      const err = Object.assign(new Error('bad credentials'), { returnCode: 4 as const });
      done(err, false);
    },
    authorizeSubscribe: (_client, sub, done) => done(null, grant(sub.topic) ? sub : null),
  });
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
