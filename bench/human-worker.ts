/**
 * The human-paced load model, in a worker thread: every kit is a scanner and a scale,
 * each its own MQTT client, worked by a courier.
 *
 * `human`: each kit makes a pair every 2–5 s (uniform jitter, the first one at a random
 * moment of the first pace): half the parcels are weighed first (some re-weighed: a stable
 * reading 30 g off, lifted, put back), half scanned first; the kit waits for the verdict
 * (up to `verdictTimeoutMs`), then the scale goes back to zero before the next parcel.
 * `open`: each kit offers scan + stable weight + zero at `perKitRate` pairs/s whatever
 * the gateway answers (overload).
 *
 * Latency runs from the message that completes the pair (the scan when weighed first, the
 * stable weight when scanned first) to the verdict naming the waybill, and to the
 * `recorded: true` message of an accepted verdict. Refusals are counted from the devices'
 * errors topics, "wait and scan again" from the scanner's feedback command.
 *
 * Messages in (answered with the same `id`): { run: HumanStep } -> { result: HumanResult };
 * { window: sinceEpochMs } -> { result: number[] } (verdict latencies of pairs answered
 * since then); 'close' -> { closed: true }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connectKits, type ConnectedKit } from './kit-clients.js';
import type { KitClients } from './kits-worker.js';
import { declaredGramsOf, waybillOf } from './waybills.js';
import { rng } from '../simulators/scenario.js';

export interface HumanJob {
  url: string;
  kits: KitClients[];
  connectConcurrency?: number;
  seed: number;
}

export interface HumanStep {
  mode: 'human' | 'open';
  seconds: number;
  /** open: pairs per second offered by each kit */
  perKitRate?: number;
  /** human: the pause between a kit's pairs, ms */
  paceMs?: [number, number];
  verdictTimeoutMs?: number;
}

export interface HumanResult {
  sent: number;
  seconds: number;
  verdicts: number;
  verdictMs: number[];
  recordedMs: number[];
  /** recordIds heard `recorded: true` */
  recordIds: string[];
  outcomes: Record<string, number>;
  timeouts: number;
  refusedOverloaded: number;
  refusedOther: number;
  waitFeedback: number;
}

interface Kit extends ConnectedKit {
  next: number;
  /** waybill -> when the pair was complete */
  open: Map<string, number>;
  answered?: (waybill: string) => void;
}

const job = workerData as HumanJob;
const random = rng(job.seed);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let step: HumanResult | undefined;
/** verdict latencies with the epoch ms they were answered, for windows */
const answers: { at: number; ms: number }[] = [];
/** verdict id -> when its pair was complete (accepted verdicts awaiting `recorded`) */
const awaitingRecord = new Map<string, number>();

function onMessage(kit: Kit, topic: string, payload: Buffer): void {
  let m: { type?: string; waybill?: unknown; scan?: { code?: string }; outcome?: string; verdictId?: string; recorded?: boolean; recordId?: string; error?: string; text?: string };
  try {
    m = JSON.parse(payload.toString('utf8')) as typeof m;
  } catch {
    return;
  }
  const s = step;
  if (topic.endsWith('/errors')) {
    if (s) {
      if (m.error === 'OVERLOADED') s.refusedOverloaded += 1;
      else s.refusedOther += 1;
    }
    return;
  }
  if (topic.endsWith('/commands/feedback')) {
    if (s && /wait and scan again/i.test(JSON.stringify(m))) s.waitFeedback += 1;
    return;
  }
  if (m.type === 'recorded') {
    const t0 = m.verdictId ? awaitingRecord.get(m.verdictId) : undefined;
    if (t0 === undefined || !m.verdictId) return;
    awaitingRecord.delete(m.verdictId);
    if (s && m.recorded === true) {
      s.recordedMs.push(performance.now() - t0);
      if (m.recordId) s.recordIds.push(m.recordId);
    }
    return;
  }
  if (m.type !== 'verdict') return;
  const w = m.waybill;
  const code = m.scan?.code ?? (typeof w === 'object' && w !== null ? (w as { value?: string }).value : (w as string | undefined));
  const t0 = code ? kit.open.get(code) : undefined;
  if (t0 === undefined || !code) return;
  kit.open.delete(code);
  const ms = performance.now() - t0;
  answers.push({ at: Date.now(), ms });
  if (s) {
    s.verdicts += 1;
    s.verdictMs.push(ms);
    const outcome = m.outcome ?? 'unknown';
    s.outcomes[outcome] = (s.outcomes[outcome] ?? 0) + 1;
  }
  if (m.outcome === 'accepted' && m.verdictId) awaitingRecord.set(m.verdictId, t0);
  kit.answered?.(code);
}

const connected = await connectKits(job.url, job.kits, job.connectConcurrency ?? 8, async (k) => {
  await k.scanner.subscribeAsync([`cg/v1/kits/${k.spec.kit}/verdicts`, `cg/v1/devices/${k.spec.scanner.id}/errors`, `cg/v1/devices/${k.spec.scanner.id}/commands/feedback`], { qos: 1 });
  await k.scale.subscribeAsync(`cg/v1/devices/${k.spec.scale.id}/errors`, { qos: 1 });
  // the courier's app shows the kit's tasks (retained) and its verdicts
  await k.app?.subscribeAsync([`cg/v1/kits/${k.spec.kit}/tasks/#`, `cg/v1/kits/${k.spec.kit}/verdicts`], { qos: 1 });
}).catch((err: Error) => {
  parentPort!.postMessage({ error: `connect: ${err.message}` });
  return undefined;
});
const kits: Kit[] = (connected ?? []).map((k) => ({ ...k, next: 0, open: new Map() }));
for (const kit of kits) {
  kit.scanner.on('message', (topic, payload) => onMessage(kit, topic, payload));
  kit.scale.on('message', (topic, payload) => onMessage(kit, topic, payload));
}

const scanTopic = (k: Kit) => `cg/v1/devices/${k.spec.scanner.id}/events/scan`;
const weightTopic = (k: Kit) => `cg/v1/devices/${k.spec.scale.id}/events/weight`;

function publish(topic: string, k: Kit, body: object, qos: 0 | 1 = 1): void {
  const client = topic.includes('/events/scan') || topic.includes('/events/position') ? k.scanner : k.scale;
  client.publish(topic, JSON.stringify({ ...body, at: new Date().toISOString() }), { qos });
}

/** one courier's parcel: the pair in its order, the wait for the verdict, the zero */
async function humanPair(k: Kit, s: HumanResult, verdictTimeoutMs: number): Promise<void> {
  const i = k.next++;
  const code = waybillOf(k.spec.kitIndex, i);
  const grams = declaredGramsOf(k.spec.kitIndex, i) + 3;
  const answered = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), verdictTimeoutMs);
    k.answered = (w) => {
      if (w !== code) return;
      clearTimeout(timer);
      resolve(true);
    };
  });
  if (random() < 0.5) {
    // weighed first, sometimes re-weighed, then scanned
    publish(weightTopic(k), k, { grams: Math.round(grams * 0.6), stable: false });
    if (random() < 0.3) {
      publish(weightTopic(k), k, { grams: grams + 30, stable: true });
      publish(weightTopic(k), k, { grams: Math.round(grams / 2), stable: false });
    }
    publish(weightTopic(k), k, { grams, stable: true });
    k.open.set(code, performance.now());
    publish(scanTopic(k), k, { code, symbology: 'code128' });
  } else {
    publish(scanTopic(k), k, { code, symbology: 'code128' });
    publish(weightTopic(k), k, { grams: Math.round(grams * 0.6), stable: false });
    k.open.set(code, performance.now());
    publish(weightTopic(k), k, { grams, stable: true });
  }
  s.sent += 1;
  if (!(await answered)) {
    s.timeouts += 1;
    k.open.delete(code);
  }
  k.answered = undefined;
  publish(weightTopic(k), k, { grams: 0, stable: true });
}

async function human(load: HumanStep, s: HumanResult): Promise<void> {
  const [lo, hi] = load.paceMs ?? [2000, 5000];
  const endAt = performance.now() + load.seconds * 1000;
  const timeout = load.verdictTimeoutMs ?? 5000;
  await Promise.all(
    kits.map(async (k) => {
      await sleep(random() * hi);
      while (performance.now() < endAt) {
        await humanPair(k, s, timeout);
        await sleep(lo + random() * (hi - lo));
      }
    }),
  );
}

async function open(load: HumanStep, s: HumanResult): Promise<void> {
  const rate = load.perKitRate ?? 1;
  const t0 = performance.now();
  const endAt = t0 + load.seconds * 1000;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.floor(((Math.min(now, endAt) - t0) / 1000) * rate * kits.length);
      for (; s.sent < due; s.sent++) {
        const k = kits[s.sent % kits.length];
        const i = k.next++;
        const code = waybillOf(k.spec.kitIndex, i);
        publish(scanTopic(k), k, { code, symbology: 'code128' });
        k.open.set(code, performance.now());
        publish(weightTopic(k), k, { grams: declaredGramsOf(k.spec.kitIndex, i) + 3, stable: true });
        publish(weightTopic(k), k, { grams: 0, stable: true }, 0);
      }
      if (now >= endAt) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
}

async function run(load: HumanStep): Promise<HumanResult> {
  const s: HumanResult = { sent: 0, seconds: 0, verdicts: 0, verdictMs: [], recordedMs: [], recordIds: [], outcomes: {}, timeouts: 0, refusedOverloaded: 0, refusedOther: 0, waitFeedback: 0 };
  step = s;
  for (const k of kits) {
    const p = k.spec.position;
    if (p) publish(`cg/v1/devices/${k.spec.scanner.id}/events/position`, k, { lat: p.lat, lon: p.lon, fix: '3d', accuracyM: 5 });
  }
  const t0 = performance.now();
  if (load.mode === 'human') await human(load, s);
  else await open(load, s);
  s.seconds = (performance.now() - t0) / 1000;
  // late answers and records of this step
  const deadline = performance.now() + (load.verdictTimeoutMs ?? 5000);
  while ((awaitingRecord.size > 0 || kits.some((k) => k.open.size > 0)) && performance.now() < deadline) await sleep(20);
  for (const k of kits) k.open.clear();
  awaitingRecord.clear();
  step = undefined;
  return s;
}

if (connected) {
  parentPort!.on('message', (m: { id?: number; run?: HumanStep; window?: number } | 'close') => {
    if (m === 'close') {
      void Promise.all(kits.flatMap((k) => [k.scanner.endAsync(true), k.scale.endAsync(true), ...(k.app ? [k.app.endAsync(true)] : [])])).then(() => parentPort!.postMessage({ closed: true }));
      return;
    }
    if (m.window !== undefined) {
      const since = m.window;
      parentPort!.postMessage({ id: m.id, result: answers.filter((a) => a.at >= since).map((a) => a.ms) });
      if (answers.length > 100_000) answers.splice(0, answers.length - 10_000);
      return;
    }
    if (m.run) run(m.run).then((result) => parentPort!.postMessage({ id: m.id, result }), (err: Error) => parentPort!.postMessage({ id: m.id, error: err.message }));
  });
  parentPort!.postMessage({ ready: true });
}
