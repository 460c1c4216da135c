/**
 * Each kit's workload for dispatch to assign by: its remaining stops and pieces, the ETA
 * of its last stop (the estimated finish), the stops at risk of missing their window, its
 * last position and that position's age, as a `kit.workload` record on the live lane
 * whenever one of them changes (the finish when it moves by ≥ 2 min, the position by
 * ≥ 500 m), coalesced per kit. The counts
 * follow the task list as it is published, the pieces drop with each parcel recorded at a
 * stop that expects several, and both with each closed task; finish and
 * risk come from the plan the ETA tracker made anyway. Nothing re-scans a task list per
 * pickup or per position.
 */
import type { Logger } from 'pino';
import type { RecordSink } from '../rules/records.js';
import { haversineM, type LatLon } from '../core/geo.js';
import type { KitPlan } from './options.js';

/**
 * A task as the workload counts it: one stop with its pieces still to pick up (those it
 * expects, 1 unless it says more, less those recorded; a stop of any number counts 1).
 */
export interface WorkloadTask {
  id: string;
  expectedPieces?: number | 'any';
  piecesDone?: number;
}

export interface WorkloadOptions {
  sink: RecordSink;
  log: Logger;
  now?: () => number;
  /** the finish is published again when it moves by this much (default 2 min) */
  movedMs?: number;
  /** ... and the position when it moves by this much (default 500 m) */
  movedM?: number;
}

interface KitLoad {
  pieces: Map<string, number>;
  piecesTotal: number;
  finishMs: number | undefined;
  atRisk: string[];
  position: LatLon | undefined;
  positionAt: number | undefined;
  offsetMs: number;
  /** what dispatch was last told */
  sent: { stops: number; pieces: number; atRisk: number; finishMs: number | undefined; position: LatLon | undefined } | undefined;
  chain: Promise<void>;
}

/** at most this many at-risk task ids go into a record (the count is always whole) */
const MAX_AT_RISK_IDS = 20;

export class KitWorkload {
  private readonly kits = new Map<string, KitLoad>();
  private readonly now: () => number;
  private readonly movedMs: number;
  private readonly movedM: number;
  private appended = 0;

  constructor(private readonly o: WorkloadOptions) {
    this.now = o.now ?? Date.now;
    this.movedMs = o.movedMs ?? 2 * 60_000;
    this.movedM = o.movedM ?? 500;
  }

  /** the kit.workload records appended since start */
  get records(): number {
    return this.appended;
  }

  /** The kit's open tasks as its list was just published. */
  tasksChanged(kit: string, tasks: readonly WorkloadTask[]): Promise<void> {
    const st = this.state(kit);
    st.pieces.clear();
    st.piecesTotal = 0;
    for (const t of tasks) {
      const n = piecesOf(t);
      st.pieces.set(t.id, n);
      st.piecesTotal += n;
    }
    return this.changed(st, kit);
  }

  /** A parcel of an open stop was recorded: its remaining pieces follow, O(1). */
  taskProgressed(kit: string, task: WorkloadTask): Promise<void> {
    const st = this.kits.get(kit);
    const old = st?.pieces.get(task.id);
    if (!st || old === undefined) return Promise.resolve();
    const n = piecesOf(task);
    st.pieces.set(task.id, n);
    st.piecesTotal += n - old;
    return this.changed(st, kit);
  }

  /** One task left the kit's open ones (picked up, closed, declined): O(1). */
  taskClosed(kit: string, taskId: string): Promise<void> {
    const st = this.kits.get(kit);
    const n = st?.pieces.get(taskId);
    if (!st || n === undefined) return Promise.resolve();
    st.pieces.delete(taskId);
    st.piecesTotal -= n;
    const i = st.atRisk.indexOf(taskId);
    if (i >= 0) st.atRisk.splice(i, 1);
    return this.changed(st, kit);
  }

  /** The ETA tracker's new plan for the kit: the finish is its last leg, at risk the legs after their window. */
  planned(kit: string, plan: KitPlan): Promise<void> {
    const st = this.state(kit);
    const windowEnd = new Map<string, number>();
    for (const t of plan.tasks) windowEnd.set(t.id, Date.parse(t.window.to));
    st.atRisk = [];
    for (const leg of plan.legs) {
      const end = windowEnd.get(leg.taskId);
      if (end !== undefined && leg.etaMs - plan.offsetMs > end) st.atRisk.push(leg.taskId);
    }
    st.finishMs = plan.legs.length > 0 ? plan.legs[plan.legs.length - 1].etaMs - plan.offsetMs : undefined;
    st.position = plan.position;
    st.positionAt = plan.positionAt - plan.offsetMs;
    st.offsetMs = plan.offsetMs;
    return this.changed(st, kit);
  }

  /** Resolves when every record under way is appended. */
  async whenIdle(): Promise<void> {
    await Promise.all([...this.kits.values()].map((st) => st.chain));
  }

  private state(kit: string): KitLoad {
    let st = this.kits.get(kit);
    if (!st) this.kits.set(kit, (st = { pieces: new Map(), piecesTotal: 0, finishMs: undefined, atRisk: [], position: undefined, positionAt: undefined, offsetMs: 0, sent: undefined, chain: Promise.resolve() }));
    return st;
  }

  /** Appends a record when what dispatch knows is out of date; one kit's records in order. */
  private changed(st: KitLoad, kit: string): Promise<void> {
    const now = { stops: st.pieces.size, pieces: st.piecesTotal, atRisk: st.atRisk.length, finishMs: st.finishMs, position: st.position };
    const s = st.sent;
    const moved =
      !s ||
      s.stops !== now.stops ||
      s.pieces !== now.pieces ||
      s.atRisk !== now.atRisk ||
      (s.finishMs === undefined) !== (now.finishMs === undefined) ||
      (s.finishMs !== undefined && now.finishMs !== undefined && Math.abs(s.finishMs - now.finishMs) >= this.movedMs) ||
      (s.position === undefined) !== (now.position === undefined) ||
      (s.position !== undefined && now.position !== undefined && haversineM(s.position, now.position) >= this.movedM);
    if (!moved) return st.chain;
    st.sent = now;
    const at = this.now();
    const body: Record<string, unknown> = {
      kit,
      stops: now.stops,
      pieces: now.pieces,
      finishEta: now.finishMs === undefined ? null : new Date(Math.round(now.finishMs)).toISOString(),
      atRisk: now.atRisk,
      atRiskTaskIds: st.atRisk.slice(0, MAX_AT_RISK_IDS),
      position: st.position === undefined ? null : { lat: st.position.lat, lon: st.position.lon },
      positionAt: st.positionAt === undefined ? null : new Date(Math.round(st.positionAt)).toISOString(),
      positionAgeS: st.positionAt === undefined ? null : Math.max(0, Math.round((at - st.offsetMs - st.positionAt) / 1000)),
    };
    st.chain = st.chain.then(async () => {
      try {
        await this.o.sink.append({ kind: 'kit.workload', stream: `workload:${kit}`, kit, coalesceKey: `workload:${kit}`, body });
        this.appended++;
      } catch (err) {
        // what was not kept is told with the next change
        st.sent = undefined;
        this.o.log.warn({ err, kit }, 'kit.workload record refused');
      }
    });
    return st.chain;
  }
}

function piecesOf(t: WorkloadTask): number {
  const n = t.expectedPieces;
  const expected = typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 1;
  const done = typeof t.piecesDone === 'number' && Number.isInteger(t.piecesDone) && t.piecesDone > 0 ? t.piecesDone : 0;
  // an open stop has at least one parcel to come
  return Math.max(1, expected - done);
}
