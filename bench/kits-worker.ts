/**
 * The weigh-and-scan load generator, in a worker thread: every kit is a scanner and a
 * scale, each its own MQTT client, offering scan + weight pairs at a given rate.
 *
 * With `awaitVerdicts`, a kit has one pair open at a time (as a courier does): its next
 * pair goes out only once the verdict of the last came back on cg/v1/kits/{kit}/verdicts
 * (the first message naming the waybill; a later `recorded: true` one is ignored) or after
 * `verdictTimeoutMs`. Latency runs from the publish of the pair's second message to the
 * verdict; with `recorded`, also to the kit's `recorded: true` message for that verdict.
 * When every kit is busy a due pair waits: the achieved rate falls below the offered one,
 * which is how an overloaded system shows here. With `position`, each kit's scanner
 * reports that position (events/position) at the start of every step.
 *
 * Messages in: { run: LoadStep } -> { result: LoadResult }; 'close' -> { closed: true }.
 * The first message out is { ready: true } once every client is connected and subscribed,
 * or { error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MqttClient } from 'mqtt';
import { connectKits } from './kit-clients.js';
import { percentile } from './harness.js';
import { declaredGramsOf, waybillOf } from './waybills.js';

export interface KitClients {
  kit: string;
  kitIndex: number;
  position?: { lat: number; lon: number };
  scanner: { id: string; username?: string; password?: string };
  scale: { id: string; username?: string; password?: string };
  /** the courier's app on the kit (kind app): it follows the kit's tasks and verdicts */
  app?: { id: string; username?: string; password?: string };
}

export interface LoadJob {
  url: string;
  kits: KitClients[];
  awaitVerdicts: boolean;
  /** the system answers an accepted verdict with `recorded: true`: time it, and end a step only once they came (or timed out) */
  recorded?: boolean;
  qos?: 0 | 1;
  /** clients connecting at once (the gateway checks a scrypt hash per connect) */
  connectConcurrency?: number;
}

export interface LoadStep {
  /** pairs per second over all kits */
  rate: number;
  /** how long to offer pairs; with `pairs`, the longest the step may take */
  seconds: number;
  /** offer exactly this many pairs (however long that takes, up to `seconds`) */
  pairs?: number;
  verdictTimeoutMs?: number;
}

export interface LoadResult {
  offered: number;
  seconds: number;
  sent: number;
  achievedRate: number;
  verdicts: number;
  /** verdicts per second from the step's start to its last verdict */
  verdictsPerSec: number;
  timeouts: number;
  /** `recorded: true` messages for this step's verdicts, and their latency from the pair's second message */
  recorded: number;
  recordedP50Ms: number;
  recordedP99Ms: number;
  /** verdicts whose outcome was not `accepted` */
  notAccepted: number;
  outcomes: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface Kit {
  spec: KitClients;
  scanner: MqttClient;
  scale: MqttClient;
  next: number;
  open?: { waybill: string; t0: number; timer?: NodeJS.Timeout };
}

const job = workerData as LoadJob;
const qos = job.qos ?? 1;

async function connectAll(): Promise<Kit[]> {
  const connected = await connectKits(job.url, job.kits, job.connectConcurrency ?? 8, async (k) => {
    if (job.awaitVerdicts) await k.scanner.subscribeAsync(`cg/v1/kits/${k.spec.kit}/verdicts`, { qos: 1 });
  });
  return connected.map((k) => ({ ...k, next: 0 }));
}

const kits = await connectAll().catch((err: Error) => {
  parentPort!.postMessage({ error: `connect: ${err.message}` });
  return undefined;
});

interface Step {
  latencies: number[];
  recordedLatencies: number[];
  outcomes: Record<string, number>;
  timeouts: number;
  idle: Kit[];
  /** verdict id -> when its pair's second message went out */
  awaitingRecord: Map<string, number>;
  lastVerdictAt: number;
}

let step: Step | undefined;

/** the waybill a verdict names: a string, or `{ value }` */
function waybillOfVerdict(v: { waybill?: unknown }): unknown {
  const w = v.waybill;
  return typeof w === 'object' && w !== null ? (w as { value?: unknown }).value : w;
}

function onVerdict(kit: Kit, payload: Buffer): void {
  if (!step) return;
  let v: { waybill?: unknown; outcome?: unknown; verdictId?: unknown; recorded?: unknown };
  try {
    v = JSON.parse(payload.toString('utf8')) as typeof v;
  } catch {
    return;
  }
  if (v.recorded === true && typeof v.verdictId === 'string') {
    const t0 = step.awaitingRecord.get(v.verdictId);
    if (t0 !== undefined) {
      step.recordedLatencies.push(performance.now() - t0);
      step.awaitingRecord.delete(v.verdictId);
    }
    return;
  }
  const open = kit.open;
  if (!open || waybillOfVerdict(v) !== open.waybill) return;
  step.lastVerdictAt = performance.now();
  step.latencies.push(step.lastVerdictAt - open.t0);
  if (job.recorded && typeof v.verdictId === 'string' && v.outcome === 'accepted') step.awaitingRecord.set(v.verdictId, open.t0);
  const outcome = typeof v.outcome === 'string' ? v.outcome : 'unknown';
  step.outcomes[outcome] = (step.outcomes[outcome] ?? 0) + 1;
  clearTimeout(open.timer);
  kit.open = undefined;
  step.idle.push(kit);
}

for (const kit of kits ?? []) kit.scanner.on('message', (_topic, payload) => onVerdict(kit, payload));

function sendPair(kit: Kit, verdictTimeoutMs: number): void {
  const i = kit.next++;
  const waybill = waybillOf(kit.spec.kitIndex, i);
  const at = new Date().toISOString();
  const grams = declaredGramsOf(kit.spec.kitIndex, i) + 3;
  kit.scanner.publish(`cg/v1/devices/${kit.spec.scanner.id}/events/scan`, JSON.stringify({ code: waybill, symbology: 'code128', at }), { qos });
  const t0 = performance.now();
  kit.scale.publish(`cg/v1/devices/${kit.spec.scale.id}/events/weight`, JSON.stringify({ grams, stable: true, status: 'ok', at }), { qos });
  if (!job.awaitVerdicts || !step) return;
  const s = step;
  kit.open = {
    waybill,
    t0,
    timer: setTimeout(() => {
      if (kit.open?.waybill !== waybill) return;
      s.timeouts += 1;
      kit.open = undefined;
      s.idle.push(kit);
    }, verdictTimeoutMs),
  };
}

async function run(load: LoadStep): Promise<LoadResult> {
  const all = kits ?? [];
  step = { latencies: [], recordedLatencies: [], outcomes: {}, timeouts: 0, idle: [...all], awaitingRecord: new Map(), lastVerdictAt: 0 };
  const s = step;
  for (const kit of all) {
    const p = kit.spec.position;
    if (p) kit.scanner.publish(`cg/v1/devices/${kit.spec.scanner.id}/events/position`, JSON.stringify({ lat: p.lat, lon: p.lon, fix: '3d', accuracyM: 5, at: new Date().toISOString() }), { qos: 1 });
  }
  const timeoutMs = load.verdictTimeoutMs ?? 2000;
  let sent = 0;
  let rr = 0;
  const t0 = performance.now();
  const endAt = t0 + load.seconds * 1000;
  const total = load.pairs ?? Math.round(load.seconds * load.rate);
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(Math.floor(((Math.min(now, endAt) - t0) / 1000) * load.rate), total);
      while (sent < due) {
        let kit: Kit | undefined;
        if (job.awaitVerdicts) kit = s.idle.shift();
        else kit = all[rr++ % all.length];
        if (!kit) break;
        sendPair(kit, timeoutMs);
        sent += 1;
      }
      if (now >= endAt || (load.pairs !== undefined && sent >= total)) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const seconds = (performance.now() - t0) / 1000;
  if (job.awaitVerdicts) {
    // let the open pairs finish
    const deadline = performance.now() + timeoutMs + 100;
    while (s.idle.length < all.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    // and the records of accepted ones
    const recordDeadline = performance.now() + timeoutMs;
    while (s.awaitingRecord.size > 0 && performance.now() < recordDeadline) await new Promise((r) => setTimeout(r, 5));
  }
  step = undefined;
  const sorted = s.latencies.sort((a, b) => a - b);
  const recorded = s.recordedLatencies.sort((a, b) => a - b);
  const notAccepted = Object.entries(s.outcomes).reduce((n, [k, v]) => (k === 'accepted' ? n : n + v), 0);
  return {
    offered: load.rate,
    seconds,
    sent,
    achievedRate: sent / seconds,
    verdicts: sorted.length,
    verdictsPerSec: s.lastVerdictAt > t0 ? sorted.length / ((s.lastVerdictAt - t0) / 1000) : 0,
    timeouts: s.timeouts,
    recorded: recorded.length,
    recordedP50Ms: percentile(recorded, 50),
    recordedP99Ms: percentile(recorded, 99),
    notAccepted,
    outcomes: s.outcomes,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1] : NaN,
  };
}

if (kits) {
  parentPort!.on('message', (m: { run?: LoadStep } | 'close') => {
    if (m === 'close') {
      void Promise.all(kits.flatMap((k) => [k.scanner.endAsync(true), k.scale.endAsync(true)])).then(() => parentPort!.postMessage({ closed: true }));
      return;
    }
    if (m.run) run(m.run).then((result) => parentPort!.postMessage({ result }), (err: Error) => parentPort!.postMessage({ error: err.message }));
  });
  parentPort!.postMessage({ ready: true });
}
