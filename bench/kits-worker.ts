/**
 * The weigh-and-scan load generator, in a worker thread: every kit is a scanner and a
 * scale, each its own MQTT client, offering scan + weight pairs at a given rate.
 *
 * With `awaitVerdicts`, a kit has one pair open at a time (as a courier does): its next
 * pair goes out only once the verdict of the last came back on cg/v1/kits/{kit}/verdicts
 * (the first message naming the waybill; a later `recorded: true` one is ignored) or after
 * `verdictTimeoutMs`. Latency runs from the publish of the pair's second message to the
 * verdict. When every kit is busy a due pair waits: the achieved rate falls below the
 * offered one, which is how an overloaded system shows here.
 *
 * Messages in: { run: LoadStep } -> { result: LoadResult }; 'close' -> { closed: true }.
 * The first message out is { ready: true } once every client is connected and subscribed,
 * or { error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import mqtt, { type MqttClient } from 'mqtt';
import { percentile } from './harness.js';
import { declaredGramsOf, waybillOf } from './waybills.js';

export interface KitClients {
  kit: string;
  kitIndex: number;
  scanner: { id: string; username?: string; password?: string };
  scale: { id: string; username?: string; password?: string };
}

export interface LoadJob {
  url: string;
  kits: KitClients[];
  awaitVerdicts: boolean;
  qos?: 0 | 1;
  /** clients connecting at once (the gateway checks a scrypt hash per connect) */
  connectConcurrency?: number;
}

export interface LoadStep {
  /** pairs per second over all kits */
  rate: number;
  seconds: number;
  verdictTimeoutMs?: number;
}

export interface LoadResult {
  offered: number;
  seconds: number;
  sent: number;
  achievedRate: number;
  verdicts: number;
  timeouts: number;
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

function connect(opts: { id: string; username?: string; password?: string }): Promise<MqttClient> {
  const c = mqtt.connect(job.url, { clientId: opts.id, username: opts.username ?? opts.id, password: opts.password, reconnectPeriod: 0, connectTimeout: 30_000 });
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function connectAll(): Promise<Kit[]> {
  const kits: Kit[] = [];
  const queue = [...job.kits];
  const workers = Array.from({ length: job.connectConcurrency ?? 8 }, async () => {
    for (let spec = queue.shift(); spec; spec = queue.shift()) {
      const scanner = await connect(spec.scanner);
      const scale = await connect(spec.scale);
      if (job.awaitVerdicts) await scanner.subscribeAsync(`cg/v1/kits/${spec.kit}/verdicts`, { qos: 1 });
      kits.push({ spec, scanner, scale, next: 0 });
    }
  });
  await Promise.all(workers);
  return kits.sort((a, b) => a.spec.kitIndex - b.spec.kitIndex);
}

const kits = await connectAll().catch((err: Error) => {
  parentPort!.postMessage({ error: `connect: ${err.message}` });
  return undefined;
});

let step: { latencies: number[]; outcomes: Record<string, number>; timeouts: number; idle: Kit[] } | undefined;

function onVerdict(kit: Kit, payload: Buffer): void {
  const open = kit.open;
  if (!open || !step) return;
  let v: { waybill?: unknown; outcome?: unknown };
  try {
    v = JSON.parse(payload.toString('utf8')) as typeof v;
  } catch {
    return;
  }
  if (v.waybill !== open.waybill) return;
  step.latencies.push(performance.now() - open.t0);
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
  step = { latencies: [], outcomes: {}, timeouts: 0, idle: [...all] };
  const s = step;
  const timeoutMs = load.verdictTimeoutMs ?? 2000;
  let sent = 0;
  let rr = 0;
  const t0 = performance.now();
  const endAt = t0 + load.seconds * 1000;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(Math.floor(((Math.min(now, endAt) - t0) / 1000) * load.rate), Math.round(load.seconds * load.rate));
      while (sent < due) {
        let kit: Kit | undefined;
        if (job.awaitVerdicts) kit = s.idle.shift();
        else kit = all[rr++ % all.length];
        if (!kit) break;
        sendPair(kit, timeoutMs);
        sent += 1;
      }
      if (now >= endAt) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const seconds = (performance.now() - t0) / 1000;
  if (job.awaitVerdicts) {
    // let the open pairs finish
    const deadline = performance.now() + timeoutMs + 100;
    while (s.idle.length < all.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }
  step = undefined;
  const sorted = s.latencies.sort((a, b) => a - b);
  const notAccepted = Object.entries(s.outcomes).reduce((n, [k, v]) => (k === 'accepted' ? n : n + v), 0);
  return {
    offered: load.rate,
    seconds,
    sent,
    achievedRate: sent / seconds,
    verdicts: sorted.length,
    timeouts: s.timeouts,
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
