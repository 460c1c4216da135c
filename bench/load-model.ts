/**
 * The load model: couriers at a human pace, then an overload, against the compiled gateway
 * and, for the human pace, the Node-RED flow of node-red-flow.ts, in the same run.
 *
 * - Human-paced: K kits (a scanner and a scale connection each, in a few worker threads),
 *   each making a pair every 2–5 s with jitter, weighed first (some re-weighed) or
 *   scanned first, the scale back to zero between parcels; K = 200 (a depot) and K = 2,000
 *   (stress). p50 / p99 scan→verdict and scan→`recorded`, the gateway's CPU ms per
 *   accepted pickup (process CPU time from /proc/<pid>/stat over the step / accepted
 *   pickups), its RSS and event-loop delay p99 (/metrics), refusals (the errors topics).
 * - Overload: 10× the highest human-paced load the gateway held, open-loop for 10 s, from
 *   200 more kits on a fresh gateway while its first 200 go on at a human pace. Did the process
 *   survive, is every pickup a kit heard `recorded: true` for in the journal (read with its
 *   own reader after the stop), the p99 of the kits within their rate during the overload,
 *   and the seconds after it until /healthz no longer says degraded, cg_overloaded is 0
 *   and the human-paced kits' p99 over the last second is back under 50 ms.
 * - CPU per accepted pickup with 1 and with 500 tasks per kit (tasks file): 200 kits, one
 *   pickup each, closed loop at 100 pairs/s; the gateway's idle CPU rate is subtracted.
 * Device accounts have a real scrypt hash of a lower cost (simulators/accounts.ts), so
 * thousands of connects do not measure key derivation.
 */
import { pino } from 'pino';
import path from 'node:path';
import { Journal } from '../cloud-sync/journal/index.js';
import { fleetPasswordHash } from '../simulators/accounts.js';
import { percentile, round, type Bench, type BenchRow } from './harness.js';
import { figuresOf, HumanLoad, humanHeld, type HumanFigures, type HumanResult } from './human-load.js';
import { PASSWORD, pipelinePresent, startGatewaySystem, withPositions, type GatewaySystem } from './gateway-sut.js';
import { benchKits, KitLoad } from './kit-load.js';
import { ensureNodeRed, startNodeRedSystem } from './node-red.js';
import { benchTasks } from './tasks-file.js';
import { metricsOf, sample } from './gateway-process.js';

const P99_BOUND_MS = 50;
const GOALS = { cpuMsPerPickup: 0.25, p99VerdictMs: 10, p99RecordedMs: 20, overloadP99Ms: 50, recoverS: 5, sustainedRatio: 5, p99Ratio: 1 / 3, cpuSpread: 0.2 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Sizes {
  depot: number;
  stress: number;
  humanSeconds: number;
  overloadSeconds: number;
  recoverWindowS: number;
  cpuKits: number;
  workers: number;
  /** kits offering the overload, beside the depot's */
  floodKits: number;
}

async function healthStatus(httpUrl: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(3000) });
    return ((await res.json()) as { status?: string }).status;
  } catch {
    return undefined;
  }
}

interface GatewayStep {
  figures: HumanFigures;
  recordIds: string[];
  cpuMs: number;
  accepted: number;
  cpuMsPerPickup: number;
  rssMB: number;
  eventLoopP99Ms: number;
}

function describeStep(st: GatewayStep): string {
  return `${JSON.stringify(st.figures)}, CPU ${round(st.cpuMs)} ms = ${round(st.cpuMsPerPickup, 3)} ms per accepted pickup, RSS peak ${round(st.rssMB, 1)} MB, event-loop p99 ${round(st.eventLoopP99Ms)} ms`;
}

/** runs `work` on the gateway, sampling its RSS; CPU used, peak RSS and event-loop delay p99 after */
async function onGateway(sys: GatewaySystem, work: () => Promise<HumanResult>): Promise<GatewayStep> {
  const cpu0 = await sys.gateway.cpuMs();
  let peak = await sys.gateway.rssMB();
  let done = false;
  const sampler = (async () => {
    while (!done) {
      await sleep(500);
      peak = Math.max(peak, await sys.gateway.rssMB().catch(() => 0));
    }
  })();
  const r = await work().finally(() => (done = true));
  await sampler;
  const cpuMs = (await sys.gateway.cpuMs().catch(() => Number.NaN)) - cpu0;
  const accepted = r.outcomes.accepted ?? 0;
  const metrics = await metricsOf(sys.gateway.httpUrl);
  return { figures: figuresOf(r), recordIds: r.recordIds, cpuMs, accepted, cpuMsPerPickup: accepted > 0 ? cpuMs / accepted : Number.NaN, rssMB: peak, eventLoopP99Ms: sample(metrics, 'cg_event_loop_delay_seconds{quantile="0.99"}') * 1000 };
}

/** a gateway with its kits connected: `depot` kits in one worker, the rest in `workers - 1` */
async function gatewayWithKits(kits: number, depot: number, workers: number, tasksPerKit: number, log: (l: string) => void) {
  const sys = await startGatewaySystem({ kits, tasksPerKit, passwordHash: fleetPasswordHash(PASSWORD) });
  try {
    const t0 = performance.now();
    const a = await HumanLoad.start({ url: sys.url, kits: sys.kits.slice(0, depot), workers: 1, seed: 11, connectConcurrency: 16 });
    const b = await HumanLoad.start({ url: sys.url, kits: sys.kits.slice(depot), workers: workers - 1, seed: 23, connectConcurrency: 16 }).catch(async (err: unknown) => {
      await a.close();
      throw err;
    });
    log(`load: gateway with ${sys.kits.length} kits (${sys.tasks} tasks), ${sys.kits.length * 2} connections in ${round((performance.now() - t0) / 1000, 1)} s`);
    return {
      sys,
      a,
      b,
      async close() {
        await a.close();
        await b.close();
        await sys.close();
      },
    };
  } catch (err) {
    await sys.close();
    throw err;
  }
}

/** the gateway's last words when it is gone */
function crashNote(sys: GatewaySystem): string {
  if (sys.gateway.running) return '';
  // the error's own line and the first frames of its stack
  const lines = sys.gateway.logTail(8000).split('\n');
  const at = lines.findIndex((l) => /^\w*Error\b|Error:/.test(l));
  return `; the gateway process is gone (exit ${sys.gateway.exitCode}): ${lines.slice(Math.max(0, at), Math.max(0, at) + 6).join(' ').replace(/\s+/g, ' ')}`;
}

/** human-paced steps at K = depot and K = stress on one gateway */
async function humanRuns(s: Sizes, log: (l: string) => void) {
  const g = await gatewayWithKits(s.stress, s.depot, s.workers, Math.ceil(s.humanSeconds / 2) + 5, log);
  try {
    const human = { seconds: s.humanSeconds, mode: 'human' as const };
    const depot = await onGateway(g.sys, () => g.a.run(human));
    log(`load: gateway, ${s.depot} kits human-paced: ${describeStep(depot)}${crashNote(g.sys)}`);
    const stress = await onGateway(g.sys, async () => {
      const [x, y] = await Promise.all([g.a.run(human), g.b.run(human)]);
      return merge(x, y);
    });
    const crashed = !g.sys.gateway.running;
    log(`load: gateway, ${s.stress} kits human-paced: ${describeStep(stress)}${crashNote(g.sys)}`);
    await g.a.close();
    await g.b.close();
    await g.sys.gateway.stop();
    const lostAccepted = await missingFromJournal(g.sys, new Set([...depot.recordIds, ...stress.recordIds]));
    return { depot, stress, crashed, lostAccepted };
  } finally {
    await g.close();
  }
}

/**
 * 10x `heldRate`, open-loop for overloadSeconds from `floodKits` kits on a fresh gateway,
 * while its first `depot` kits go on at a human pace
 */
async function overloadRun(s: Sizes, heldRate: number, log: (l: string) => void) {
  const rate = 10 * heldRate;
  const g = await gatewayWithKits(s.depot + s.floodKits, s.depot, s.workers, Math.ceil((s.overloadSeconds + s.recoverWindowS) / 2) + 5, log);
  try {
    const { sys, a, b } = g;
    const startedAt = Date.now();
    const within = a.run({ mode: 'human', seconds: s.overloadSeconds + s.recoverWindowS });
    const flood = await b.run({ mode: 'open', seconds: s.overloadSeconds, perKitRate: rate / s.floodKits, verdictTimeoutMs: 3000 });
    const endedAt = Date.now();
    const withinRate = await a.window(startedAt);
    const p99WithinRateMs = percentile([...withinRate].sort((x, y) => x - y), 99);
    let recoverS = Number.NaN;
    while (Date.now() - endedAt < s.recoverWindowS * 1000 && sys.gateway.running) {
      await sleep(250);
      const [status, metrics, last] = await Promise.all([healthStatus(sys.gateway.httpUrl), metricsOf(sys.gateway.httpUrl), a.window(Date.now() - 1000)]);
      const overloaded = sample(metrics, 'cg_overloaded') === 1;
      const p99 = percentile([...last].sort((x, y) => x - y), 99);
      if (status !== undefined && status !== 'degraded' && !overloaded && last.length > 0 && p99 <= P99_BOUND_MS) {
        recoverS = (Date.now() - endedAt) / 1000;
        break;
      }
    }
    const tail = await within;
    const crashed = !sys.gateway.running;
    const rssMB = crashed ? Number.NaN : await sys.gateway.rssMB();
    const flooded = figuresOf(flood);
    log(`load: overload at ${Math.round(rate)} pairs/s offered (${Math.round(flooded.pairsPerSec)} sent): ${JSON.stringify(flooded)}; within-rate p99 ${round(p99WithinRateMs)} ms; recovered in ${recoverS} s${crashNote(sys)}`);
    // every pickup heard recorded: true, in the journal after the stop
    await a.close();
    await b.close();
    const heard = new Set([...tail.recordIds, ...flood.recordIds]);
    await sys.gateway.stop();
    const lostAccepted = await missingFromJournal(sys, heard);
    return { offeredPairsPerSec: Math.round(rate), sentPairsPerSec: flooded.pairsPerSec, flood: flooded, crashed, lostAccepted, recordedHeard: heard.size, p99WithinRateMs: round(p99WithinRateMs), recoverS, rssMB: round(rssMB, 1), seconds: s.overloadSeconds };
  } finally {
    await g.close();
  }
}

function merge(x: HumanResult, y: HumanResult): HumanResult {
  return {
    sent: x.sent + y.sent,
    seconds: Math.max(x.seconds, y.seconds),
    verdicts: x.verdicts + y.verdicts,
    verdictMs: [...x.verdictMs, ...y.verdictMs],
    recordedMs: [...x.recordedMs, ...y.recordedMs],
    recordIds: [...x.recordIds, ...y.recordIds],
    outcomes: Object.fromEntries([...new Set([...Object.keys(x.outcomes), ...Object.keys(y.outcomes)])].map((k) => [k, (x.outcomes[k] ?? 0) + (y.outcomes[k] ?? 0)])),
    timeouts: x.timeouts + y.timeouts,
    refusedOverloaded: x.refusedOverloaded + y.refusedOverloaded,
    refusedOther: x.refusedOther + y.refusedOther,
    waitFeedback: x.waitFeedback + y.waitFeedback,
  };
}

async function missingFromJournal(sys: GatewaySystem, heard: Set<string>): Promise<number> {
  const journal = await Journal.open({ dir: path.join(sys.dataDir, 'journal'), gatewayId: sys.gatewayId, clock: () => 'unsynced', bootId: 'bench-check', log: pino({ level: 'silent' }) });
  try {
    const ids = new Set((await journal.next(10_000_000, 1e12)).filter((r) => r.kind === 'pickup.completed').map((r) => r.id));
    return [...heard].filter((id) => !ids.has(id)).length;
  } finally {
    await journal.close();
  }
}

/** CPU ms per accepted pickup with `tasksPerKit` tasks per kit: one closed-loop pickup per kit, idle CPU subtracted */
async function cpuPerPickup(kits: number, tasksPerKit: number): Promise<{ tasksPerKit: number; accepted: number; cpuMsPerPickup: number; idleCpuMsPerSec: number }> {
  const sys = await startGatewaySystem({ kits, tasksPerKit, passwordHash: fleetPasswordHash(PASSWORD) });
  try {
    const load = await KitLoad.start({ url: sys.url, kits: sys.kits, awaitVerdicts: true, recorded: true, connectConcurrency: 16 });
    try {
      await sleep(1000);
      const idle0 = await sys.gateway.cpuMs();
      await sleep(2000);
      const idleRate = ((await sys.gateway.cpuMs()) - idle0) / 2;
      const t0 = performance.now();
      const c0 = await sys.gateway.cpuMs();
      const r = await load.run({ rate: 100, pairs: kits, seconds: 60, verdictTimeoutMs: 5000 });
      const cpu = (await sys.gateway.cpuMs()) - c0 - idleRate * ((performance.now() - t0) / 1000);
      const accepted = r.outcomes.accepted ?? 0;
      return { tasksPerKit, accepted, cpuMsPerPickup: accepted > 0 ? cpu / accepted : Number.NaN, idleCpuMsPerSec: round(idleRate, 2) };
    } finally {
      await load.close();
    }
  } finally {
    await sys.close();
  }
}

/** the same human-paced steps against Node-RED on Mosquitto */
async function nodeRedRuns(s: Sizes, log: (l: string) => void): Promise<{ depot: HumanFigures; stress: HumanFigures }> {
  const red = await ensureNodeRed(log);
  const kits = withPositions(benchKits(s.stress, PASSWORD));
  const tasksPerKit = Math.ceil(s.humanSeconds / 2) + 5;
  const sys = await startNodeRedSystem(red, kits, benchTasks(kits, tasksPerKit));
  try {
    const a = await HumanLoad.start({ url: sys.url, kits: kits.slice(0, s.depot), workers: 1, seed: 11 });
    const b = await HumanLoad.start({ url: sys.url, kits: kits.slice(s.depot), workers: s.workers - 1, seed: 23 });
    try {
      const human = { seconds: s.humanSeconds, mode: 'human' as const };
      const depot = figuresOf(await a.run(human));
      log(`load: node-red, ${s.depot} kits human-paced: ${JSON.stringify(depot)}`);
      const [x, y] = await Promise.all([a.run(human), b.run(human)]);
      const stress = figuresOf(merge(x, y));
      log(`load: node-red, ${s.stress} kits human-paced: ${JSON.stringify(stress)}`);
      return { depot, stress };
    } finally {
      await a.close();
      await b.close();
    }
  } finally {
    await sys.close();
  }
}

const num = (n: number, digits = 2): number => (Number.isFinite(n) ? round(n, digits) : Number.NaN);

export const loadModelBench: Bench = {
  name: 'Load model',
  key: 'load',
  async run(ctx) {
    if (!pipelinePresent()) return { rows: [{ bench: 'load', metric: 'pipeline not present', value: NaN, unit: '' }], json: { load: { skipped: 'pipeline not present' } } };
    const s: Sizes = ctx.quick
      ? { depot: 30, stress: 120, humanSeconds: 6, overloadSeconds: 3, recoverWindowS: 5, cpuKits: 30, workers: 2, floodKits: 30 }
      : { depot: 200, stress: 2000, humanSeconds: 15, overloadSeconds: 10, recoverWindowS: 10, cpuKits: 200, workers: 3, floodKits: 200 };
    const human = await humanRuns(s, ctx.log);
    // the highest human-paced load held (the depot's pace when none held)
    const heldRate = Math.max(...[human.depot, human.stress].filter((st) => humanHeld(st.figures)).map((st) => st.figures.pairsPerSec), 0) || human.depot.figures.pairsPerSec;
    const gw = { ...human, overload: await overloadRun(s, heldRate, ctx.log) };
    const cpu1 = await cpuPerPickup(s.cpuKits, 1);
    const cpu500 = await cpuPerPickup(s.cpuKits, 500);
    ctx.log(`load: CPU per pickup, 1 task per kit ${JSON.stringify(cpu1)}, 500 tasks per kit ${JSON.stringify(cpu500)}`);
    let nr: { depot: HumanFigures; stress: HumanFigures } | undefined;
    let nrError: string | undefined;
    try {
      nr = await nodeRedRuns(s, ctx.log);
    } catch (err) {
      nrError = (err as Error).message;
      ctx.log(`load: node-red side failed: ${nrError}`);
    }

    const heldOf = (steps: HumanFigures[]) => Math.max(0, ...steps.filter((f) => humanHeld(f, P99_BOUND_MS)).map((f) => f.pairsPerSec));
    const gwHeld = heldOf([gw.depot.figures, gw.stress.figures]);
    const nrHeld = nr ? heldOf([nr.depot, nr.stress]) : Number.NaN;
    const sustainedRatio = nr && nrHeld > 0 ? gwHeld / nrHeld : Number.NaN;
    // p99 at the highest load both hold (the depot's when neither holds the stress load)
    const both = nr && humanHeld(gw.stress.figures) && humanHeld(nr.stress) ? 'stress' : 'depot';
    const p99Ratio = nr ? (both === 'stress' ? gw.stress.figures.p99VerdictMs / nr.stress.p99VerdictMs : gw.depot.figures.p99VerdictMs / nr.depot.p99VerdictMs) : Number.NaN;
    const cpuSpread = Math.abs(cpu500.cpuMsPerPickup - cpu1.cpuMsPerPickup) / cpu1.cpuMsPerPickup;
    const o = gw.overload;
    const label = (k: number) => `${k.toLocaleString('en')} kits human-paced`;
    const rows: BenchRow[] = [];
    for (const [k, step] of [[s.depot, gw.depot], [s.stress, gw.stress]] as const) {
      const f = step.figures;
      const big = k === s.stress;
      rows.push(
        { bench: 'load', metric: `${label(k)}: pairs/s`, value: num(f.pairsPerSec, 1), unit: '/s' },
        { bench: 'load', metric: `${label(k)}: scan->verdict p50 / p99`, value: num(f.p99VerdictMs), unit: `ms (p50 ${num(f.p50VerdictMs)})`, ...(big ? { goal: `<= ${GOALS.p99VerdictMs}`, met: humanHeld(f) && f.p99VerdictMs <= GOALS.p99VerdictMs } : {}) },
        { bench: 'load', metric: `${label(k)}: scan->recorded p50 / p99`, value: num(f.p99RecordedMs), unit: `ms (p50 ${num(f.p50RecordedMs)})`, ...(big ? { goal: `<= ${GOALS.p99RecordedMs}`, met: f.p99RecordedMs <= GOALS.p99RecordedMs } : {}) },
        { bench: 'load', metric: `${label(k)}: CPU per accepted pickup (${step.accepted} accepted)`, value: num(step.cpuMsPerPickup, 3), unit: 'ms', ...(big ? { goal: `<= ${GOALS.cpuMsPerPickup}`, met: step.cpuMsPerPickup <= GOALS.cpuMsPerPickup } : {}) },
        { bench: 'load', metric: `${label(k)}: RSS peak, event-loop delay p99`, value: num(step.rssMB, 1), unit: `MB, ${Number.isFinite(step.eventLoopP99Ms) ? `${num(step.eventLoopP99Ms)} ms` : 'no metric'}` },
        { bench: 'load', metric: `${label(k)}: timeouts, refused (overloaded / other)`, value: f.timeouts, unit: `t/o, ${f.refusedOverloaded} / ${f.refusedOther}` },
      );
    }
    rows.push(
      { bench: 'load', metric: `overload ${o.offeredPairsPerSec} pairs/s (10x held) for ${o.seconds} s: crashed`, value: o.crashed ? 1 : 0, unit: '', goal: 'no crash', met: !o.crashed },
      { bench: 'load', metric: `overload: accepted records lost (of ${o.recordedHeard} heard recorded)`, value: o.lostAccepted, unit: '', goal: '0', met: o.lostAccepted === 0 },
      { bench: 'load', metric: `overload: p99 of the ${s.depot} kits within their rate`, value: num(o.p99WithinRateMs), unit: 'ms', goal: `<= ${GOALS.overloadP99Ms}`, met: o.p99WithinRateMs <= GOALS.overloadP99Ms },
      { bench: 'load', metric: 'overload: back to normal after the load stops', value: num(o.recoverS, 2), unit: 's', goal: `<= ${GOALS.recoverS}`, met: o.recoverS <= GOALS.recoverS },
      { bench: 'load', metric: 'overload: refused overloaded / other, "wait and scan again"', value: o.flood.refusedOverloaded, unit: `/ ${o.flood.refusedOther}, ${o.flood.waitFeedback}` },
      { bench: 'load', metric: 'CPU per accepted pickup, 1 task per kit', value: num(cpu1.cpuMsPerPickup, 3), unit: 'ms', goal: `<= ${GOALS.cpuMsPerPickup}`, met: cpu1.cpuMsPerPickup <= GOALS.cpuMsPerPickup },
      { bench: 'load', metric: 'CPU per accepted pickup, 500 tasks per kit', value: num(cpu500.cpuMsPerPickup, 3), unit: 'ms', goal: `same as 1 task (+- 20 %)`, met: cpuSpread <= GOALS.cpuSpread },
    );
    if (nr) {
      rows.push(
        { bench: 'load vs node-red', metric: `node-red, ${label(s.depot)}: p99 / pairs/s`, value: num(nr.depot.p99VerdictMs), unit: `ms, ${num(nr.depot.pairsPerSec, 1)}/s, ${nr.depot.timeouts} t/o` },
        { bench: 'load vs node-red', metric: `node-red, ${label(s.stress)}: p99 / pairs/s`, value: num(nr.stress.p99VerdictMs), unit: `ms, ${num(nr.stress.pairsPerSec, 1)}/s, ${nr.stress.timeouts} t/o` },
        { bench: 'load vs node-red', metric: 'highest human-paced pairs/s held (p99 < 50 ms), gateway / node-red', value: num(sustainedRatio), unit: `x (${num(gwHeld, 1)} / ${num(nrHeld, 1)}; capped by the loads offered)`, goal: `>= ${GOALS.sustainedRatio}`, met: sustainedRatio >= GOALS.sustainedRatio },
        { bench: 'load vs node-red', metric: `p99 ratio gateway / node-red at ${both === 'stress' ? s.stress : s.depot} kits`, value: num(p99Ratio), unit: 'x', goal: '<= 0.33', met: p99Ratio <= GOALS.p99Ratio },
      );
    } else rows.push({ bench: 'load vs node-red', metric: 'node-red side failed', value: NaN, unit: (nrError ?? '').slice(0, 60) });
    const stepJson = (st: GatewayStep) => ({ ...st.figures, recordIds: undefined, cpuMsPerPickup: num(st.cpuMsPerPickup, 4), accepted: st.accepted, rssMB: num(st.rssMB, 1), eventLoopP99Ms: num(st.eventLoopP99Ms) });
    return {
      rows,
      json: {
        load: {
          quick: ctx.quick,
          kits: { depot: s.depot, stress: s.stress },
          // all in, at the stress load; the depot's when the stress step left no figure (the gateway died)
          cpuMsPerPickup: num(Number.isFinite(gw.stress.cpuMsPerPickup) ? gw.stress.cpuMsPerPickup : gw.depot.cpuMsPerPickup, 4),
          cpuMsPerPickupFrom: Number.isFinite(gw.stress.cpuMsPerPickup) ? 'humanPaced2000' : 'humanPaced200',
          cpuMsPerPickupByTasks: { '1': num(cpu1.cpuMsPerPickup, 4), '500': num(cpu500.cpuMsPerPickup, 4), idleCpuMsPerSec: cpu1.idleCpuMsPerSec },
          humanPaced200: { kits: s.depot, ...stepJson(gw.depot) },
          humanPaced2000: { kits: s.stress, ...stepJson(gw.stress) },
          overload: { crashed: o.crashed, lostAccepted: o.lostAccepted, p99WithinRateMs: o.p99WithinRateMs, recoverS: Number.isFinite(o.recoverS) ? o.recoverS : null, offeredPairsPerSec: o.offeredPairsPerSec, sentPairsPerSec: o.sentPairsPerSec, recordedHeard: o.recordedHeard, rssMB: o.rssMB, flood: o.flood },
        },
        vsNodeRed: {
          humanPaced: nr
            ? { sustainedRatio: Number.isFinite(sustainedRatio) ? num(sustainedRatio, 3) : null, p99Ratio: num(p99Ratio, 3), gatewayHeldPairsPerSec: gwHeld, nodeRedHeldPairsPerSec: nrHeld, nodeRed: { depot: nr.depot, stress: nr.stress } }
            : { error: nrError },
        },
      },
    };
  },
};
