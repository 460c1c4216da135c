/**
 * ETA per kit: filtered positions -> smoothed speed -> the model over the open tasks by
 * sequence -> `eta.update` records when an ETA moves by ≥ 2 min, when the tasks change,
 * or every 5 min. Detects arrivals (inside a task's geofence and slow for 20 s) and
 * departures, learns dwell per kit, and keeps the error of the ETA published 15 and 5
 * minutes before each arrival. A stop whose ETA slips past its window, or that had an
 * exception, gets one `pickup.delay` notice per cause (eta/delays.ts).
 */
import type { DeviceEvent } from '../devices/events.js';
import { ArrivalLog, timingOf, type Arrival, type EtaError, type OperatingFigures, type StopVisit } from './arrivals.js';
import type { EtaErrorStats } from './error-stats.js';
import { haversineM, type LatLon } from '../core/geo.js';
import { StraightLineModel, type EtaLeg, type EtaModel } from './model.js';
import { defaultEtaOptions, type EtaOptions, type EtaTask, type EtaTrackerPorts } from './options.js';
import {
  EtaPositionFilter,
  defaultPositionFilterOptions,
  positionRejectReasons,
  type Fix,
  type PositionPayload,
  type PositionRejectReason,
} from './position-filter.js';
import { DwellLearner, SpeedSmoother } from './smoothing.js';
import { DelayLedger, delayRecord, type DelayNotice, type ToldNotice } from './delays.js';

export type EtaUpdateReason = 'new' | 'tasks' | 'moved' | 'periodic';
type EvalCause = 'position' | 'arrival' | 'departure' | 'tasks' | 'tick';

export interface EtaTrackerStats {
  accepted: number;
  rejected: Record<PositionRejectReason, number>;
  updates: number;
  refused: number;
  /** pickup.delay notices kept */
  delays: number;
}

interface Stop {
  at: LatLon;
  taskIds: string[];
  arrivedAt: number;
  arrivals: Arrival[];
  /** the stop type of its first task */
  type: string | undefined;
}

interface KitState {
  kit: string;
  filter: EtaPositionFilter;
  speed: SpeedSmoother;
  dwell: DwellLearner;
  last: Fix | undefined;
  device: string | undefined;
  visited: Set<string>;
  stop: Stop | undefined;
  slowSince: number | undefined;
  /** where and when the leg under way began: the last departure, or the first fix seen */
  legStart: { at: { lat: number; lon: number }; t: number } | undefined;
  published: Map<string, { etaMs: number; at: number }>;
  history: Map<string, { etaMs: number; at: number }[]>;
  tasksDirty: boolean;
  lastEvalAt: number;
  chain: Promise<void>;
}

export class EtaTracker {
  private readonly opts: EtaOptions;
  private readonly now: () => number;
  private readonly model: EtaModel;
  private readonly kits = new Map<string, KitState>();
  private readonly log: ArrivalLog;
  private readonly counters: EtaTrackerStats;
  private readonly delays = new DelayLedger();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly ports: EtaTrackerPorts) {
    const o = ports.options ?? {};
    this.opts = { ...defaultEtaOptions, ...o, filter: { ...defaultPositionFilterOptions, ...o.filter } };
    this.now = ports.now ?? Date.now;
    this.model = ports.model ?? new StraightLineModel(this.opts.roadFactor);
    this.log = new ArrivalLog(this.opts.horizonsMin, this.opts.keep);
    const rejected = Object.fromEntries(positionRejectReasons.map((r) => [r, 0])) as Record<PositionRejectReason, number>;
    this.counters = { accepted: 0, rejected, updates: 0, refused: 0, delays: 0 };
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => {
      for (const st of this.kits.values()) if (st.last) this.enqueue(st, () => this.evaluate(st, 'tick'));
    }, this.opts.tickMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.kits.values()].map((st) => st.chain));
  }

  /** Feed every device event; position events with a kit are used, others ignored. */
  handle(event: DeviceEvent): Promise<void> {
    if (event.type !== 'position' || event.kit === undefined) return Promise.resolve();
    const st = this.state(event.kit);
    const payload = event.payload as PositionPayload;
    return this.enqueue(st, () => this.onPosition(st, payload, event.receivedAt, event.deviceId));
  }

  /** The kit's tasks were assigned, updated or cancelled: re-plan and publish every ETA. */
  tasksChanged(kit: string): Promise<void> {
    const st = this.state(kit);
    st.tasksDirty = true;
    return this.enqueue(st, () => this.evaluate(st, 'tasks'));
  }

  /**
   * One task of the kit was closed (picked up): what was published for it is forgotten, in
   * O(1). The task list no longer has it, so the next evaluation (a position) plans without
   * it; the other stops' ETAs do not move for it, so nothing is re-published now.
   */
  taskClosed(kit: string, taskId: string): void {
    if (this.delays.forget(kit, taskId)) this.ports.toldChanged?.();
    const st = this.kits.get(kit);
    if (!st) return;
    st.published.delete(taskId);
    st.history.delete(taskId);
  }

  /** the delay notices told (open tasks only), to keep across a restart */
  toldNotices(): ToldNotice[] {
    return this.delays.entries();
  }

  /** what an earlier run told: those notices are not told again */
  restoreTold(entries: unknown): number {
    return this.delays.restore(entries);
  }

  /**
   * An exception at a task's stop: its customer is told at once (one notice per task and
   * reason), with the ETA the task had, if any.
   */
  async exception(kit: string, taskId: string, reason: string, at: number, device?: string): Promise<void> {
    const task = this.ports.tasksFor(kit).find((t) => t.id === taskId);
    if (!task || !this.delays.first(kit, taskId, 'exception', reason)) return;
    const st = this.kits.get(kit);
    const offset = this.offsetMs() ?? 0;
    const published = st?.published.get(taskId);
    await this.notify({ kit, taskId, cause: 'exception', reason, etaMs: published ? published.etaMs - offset : undefined, window: task.window, causeAt: at - offset, at: this.now() - offset, device });
  }

  /** the horizons (minutes before arrival) at which ETA errors are kept */
  horizonsMin(): readonly number[] {
    return this.opts.horizonsMin;
  }

  dwellMs(kit: string): number {
    return this.kits.get(kit)?.dwell.dwellMs() ?? this.opts.defaultDwellMs;
  }

  arrivals(kit?: string): Arrival[] {
    return this.log.arrivals(kit);
  }

  visits(kit?: string): StopVisit[] {
    return this.log.visits(kit);
  }

  etaErrors(horizonMin?: number, kit?: string): number[] {
    return this.log.errors(horizonMin, kit);
  }

  etaErrorStats(horizonMin?: number, withinMin = 5, kit?: string): EtaErrorStats | undefined {
    return this.log.errorStats(horizonMin, withinMin, kit);
  }

  figures(kit?: string): OperatingFigures {
    return this.log.figures(kit);
  }

  stats(): EtaTrackerStats {
    return { ...this.counters, rejected: { ...this.counters.rejected } };
  }

  private state(kit: string): KitState {
    let st = this.kits.get(kit);
    if (!st) {
      const o = this.opts;
      st = {
        kit,
        filter: new EtaPositionFilter(o.filter),
        speed: new SpeedSmoother(o.speedTauMs, o.minSpeedKmh),
        dwell: new DwellLearner(o.defaultDwellMs, o.dwellAlpha, o.maxDwellMs),
        last: undefined,
        device: undefined,
        visited: new Set(),
        stop: undefined,
        slowSince: undefined,
        legStart: undefined,
        published: new Map(),
        history: new Map(),
        tasksDirty: false,
        lastEvalAt: Number.NEGATIVE_INFINITY,
        chain: Promise.resolve(),
      };
      this.kits.set(kit, st);
    }
    return st;
  }

  /** one kit's work runs in order; an error is logged and does not stop the chain */
  private enqueue(st: KitState, work: () => Promise<void>): Promise<void> {
    st.chain = st.chain.then(work).catch((err: unknown) => {
      this.ports.log.error({ err, kit: st.kit }, 'eta: kit update failed');
    });
    return st.chain;
  }

  private offsetMs(): number | undefined {
    return this.ports.clock ? this.ports.clock.offsetMs() : 0;
  }

  private openTasks(st: KitState): EtaTask[] {
    const all = this.ports.tasksFor(st.kit).filter(
      (t) => Number.isFinite(t.address.lat) && Number.isFinite(t.address.lon),
    );
    const ids = new Set(all.map((t) => t.id));
    for (const id of st.visited) if (!ids.has(id)) st.visited.delete(id);
    let forgot = false;
    for (const id of [...this.delays.tasks(st.kit)]) if (!ids.has(id)) forgot = this.delays.forget(st.kit, id) || forgot;
    if (forgot) this.ports.toldChanged?.();
    for (const map of [st.published, st.history]) for (const id of map.keys()) if (!ids.has(id)) map.delete(id);
    return all
      .filter((t) => !st.visited.has(t.id))
      .sort((a, b) => a.sequence - b.sequence || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private async onPosition(st: KitState, p: PositionPayload, receivedAt: number, device: string): Promise<void> {
    const now = this.now();
    const res = st.filter.check(p, receivedAt, now, this.offsetMs());
    if (!res.ok) {
      this.counters.rejected[res.reason] += 1;
      this.ports.log.debug({ kit: st.kit, device, reason: res.reason }, 'eta: position dropped');
      return;
    }
    this.counters.accepted += 1;
    const fix = res.fix;
    st.last = fix;
    st.device = device;
    st.legStart ??= { at: { lat: fix.lat, lon: fix.lon }, t: fix.t };
    const tasks = this.openTasks(st);
    let cause: EvalCause = 'position';
    if (this.departure(st, fix)) cause = 'departure';
    if (this.arrival(st, fix, tasks)) cause = 'arrival';
    // the speed is the driving speed: stops are planned as dwell, not as a slow van
    if (!st.stop && st.slowSince === undefined) st.speed.add(fix.speedKmh, fix.t);
    if (cause !== 'position' || st.tasksDirty || now - st.lastEvalAt >= this.opts.evalEveryMs) {
      await this.evaluate(st, cause);
    }
  }

  private departure(st: KitState, fix: Fix): boolean {
    const stop = st.stop;
    if (!stop || haversineM(fix, stop.at) <= this.opts.geofenceM + this.opts.departMarginM) return false;
    const dwellMs = fix.t - stop.arrivedAt;
    st.dwell.observe(dwellMs / stop.taskIds.length);
    this.model.observeDwell?.(stop.type, dwellMs / stop.taskIds.length);
    st.stop = undefined;
    st.legStart = { at: { lat: fix.lat, lon: fix.lon }, t: fix.t };
    const offset = this.offsetMs() ?? 0;
    this.log.addVisit(
      {
        kit: st.kit,
        taskIds: stop.taskIds,
        arrivedAt: iso(stop.arrivedAt - offset),
        departedAt: iso(fix.t - offset),
        dwellMs,
      },
      stop.arrivals,
    );
    this.ports.log.info({ kit: st.kit, tasks: stop.taskIds, dwellMs, learnedDwellMs: Math.round(st.dwell.dwellMs()) }, 'eta: departed');
    return true;
  }

  private arrival(st: KitState, fix: Fix, tasks: readonly EtaTask[]): boolean {
    if (st.stop) return false;
    const here = tasks.filter((t) => haversineM(fix, t.address) <= this.opts.geofenceM);
    if (here.length === 0 || fix.speedKmh > this.opts.slowKmh) {
      st.slowSince = undefined;
      return false;
    }
    if (st.slowSince === undefined) st.slowSince = fix.t;
    if (fix.t - st.slowSince < this.opts.arriveAfterMs) return false;
    const arrivedAt = st.slowSince;
    st.slowSince = undefined;
    const offset = this.offsetMs() ?? 0;
    const arrivals = here.map((t) => {
      const a: Arrival = {
        kit: st.kit,
        taskId: t.id,
        arrivedAt: iso(arrivedAt - offset),
        window: { from: t.window.from, to: t.window.to },
        timing: timingOf(arrivedAt - offset, t.window),
        onTime: false,
        errors: this.errorsAt(st, t.id, arrivedAt, offset),
      };
      a.onTime = a.timing === 'on-time';
      this.log.addArrival(a);
      st.visited.add(t.id);
      st.published.delete(t.id);
      st.history.delete(t.id);
      return a;
    });
    st.stop = { at: here[0].address, taskIds: here.map((t) => t.id), arrivedAt, arrivals, type: here[0].service };
    if (st.legStart) this.model.observeLeg?.({ from: st.legStart.at, to: here[0].address, departedAt: st.legStart.t, arrivedAt });
    st.legStart = undefined;
    this.ports.log.info(
      { kit: st.kit, tasks: st.stop.taskIds, arrivedAt: iso(arrivedAt - offset), errors: arrivals.map((a) => a.errors) },
      'eta: arrived',
    );
    return true;
  }

  /** the ETA that was published (current) h minutes before the arrival, per horizon */
  private errorsAt(st: KitState, taskId: string, arrivedAt: number, offset: number): EtaError[] {
    const history = st.history.get(taskId) ?? [];
    const out: EtaError[] = [];
    for (const h of this.opts.horizonsMin) {
      const cutoff = arrivedAt - h * 60_000;
      let current: { etaMs: number; at: number } | undefined;
      for (const entry of history) if (entry.at <= cutoff) current = entry;
      if (!current) continue;
      out.push({
        horizonMin: h,
        errorMin: (current.etaMs - arrivedAt) / 60_000,
        eta: iso(current.etaMs - offset),
        publishedAt: iso(current.at - offset),
      });
    }
    return out;
  }

  private async evaluate(st: KitState, cause: EvalCause): Promise<void> {
    const last = st.last;
    if (!last) return;
    const now = this.now();
    const tasks = this.openTasks(st);
    const dwellMs = st.dwell.dwellMs();
    const stop = st.stop;
    const stopDwellMs = stop ? (this.model.dwellMs?.(stop.type, dwellMs) ?? dwellMs) : dwellMs;
    const startAt = stop ? Math.max(now, stop.arrivedAt + stopDwellMs * stop.taskIds.length) : now;
    const legs = await this.model.estimate({
      kit: st.kit,
      from: stop ? stop.at : { lat: last.lat, lon: last.lon },
      startAt,
      speedKmh: st.speed.planKmh(),
      dwellMs,
      stops: tasks.map((t) => ({ taskId: t.id, lat: t.address.lat, lon: t.address.lon, ...(t.service !== undefined ? { type: t.service } : {}) })),
    });
    const forced = st.tasksDirty;
    st.tasksDirty = false;
    st.lastEvalAt = now;
    this.ports.planned?.(st.kit, { legs, tasks, position: { lat: last.lat, lon: last.lon }, positionAt: last.t, offsetMs: this.offsetMs() ?? 0 });
    await this.noticeLate(st, tasks, legs, now, last);
    const due: { leg: EtaLeg; reason: EtaUpdateReason }[] = [];
    for (const leg of legs.slice(0, this.opts.publishStops)) {
      const prev = st.published.get(leg.taskId);
      let reason: EtaUpdateReason | undefined;
      if (!prev) reason = 'new';
      else if (forced) reason = 'tasks';
      else if (Math.abs(leg.etaMs - prev.etaMs) >= this.opts.movedMs) reason = 'moved';
      else if (now - prev.at >= this.opts.everyMs) reason = 'periodic';
      if (reason) due.push({ leg, reason });
    }
    if (due.length === 0) return;
    this.ports.log.debug({ kit: st.kit, cause, updates: due.length }, 'eta: publishing');
    await Promise.all(due.map(({ leg, reason }) => this.publish(st, leg, reason, now, last)));
  }

  /** an ETA past its task's window: the customer is told once per task */
  private async noticeLate(st: KitState, tasks: readonly EtaTask[], legs: readonly EtaLeg[], now: number, last: Fix): Promise<void> {
    const offset = this.offsetMs() ?? 0;
    const due: DelayNotice[] = [];
    legs.forEach((leg, i) => {
      const task = tasks[i]?.id === leg.taskId ? tasks[i] : tasks.find((t) => t.id === leg.taskId);
      if (!task) return;
      const etaMs = leg.etaMs - offset;
      if (!(etaMs > Date.parse(task.window.to))) return;
      if (!this.delays.first(st.kit, task.id, 'eta-late', 'eta-past-window')) return;
      due.push({ kit: st.kit, taskId: task.id, cause: 'eta-late', reason: 'eta-past-window', etaMs, window: task.window, causeAt: last.t - offset, at: now - offset, device: st.device });
    });
    await Promise.all(due.map((n) => this.notify(n)));
  }

  private async notify(n: DelayNotice): Promise<void> {
    try {
      await this.ports.sink.append(delayRecord(n));
      this.counters.delays += 1;
      this.ports.toldChanged?.();
      this.ports.log.info({ kit: n.kit, taskId: n.taskId, cause: n.cause, reason: n.reason }, 'eta: delay notice');
    } catch (err) {
      this.counters.refused += 1;
      this.delays.untell(n.kit, n.taskId, n.cause, n.reason);
      this.ports.log.warn({ err, kit: n.kit, taskId: n.taskId, cause: n.cause }, 'eta: delay notice refused by the journal');
    }
  }

  private async publish(st: KitState, leg: EtaLeg, reason: EtaUpdateReason, now: number, last: Fix): Promise<void> {
    const offset = this.offsetMs() ?? 0;
    const body = {
      kit: st.kit,
      taskId: leg.taskId,
      eta: iso(leg.etaMs - offset),
      distanceM: Math.round(leg.distanceM),
      legs: leg.legs,
      model: this.model.name,
      reason,
      speedKmh: Math.round(st.speed.planKmh() * 10) / 10,
      dwellMs: Math.round(st.dwell.dwellMs()),
      positionAt: iso(last.t - offset),
      /** system − GPS already taken out of eta and positionAt (0 with a synchronised clock) */
      clockOffsetMs: offset,
    };
    try {
      await this.ports.sink.append({
        kind: 'eta.update',
        stream: `eta:${st.kit}`,
        kit: st.kit,
        devices: st.device ? [st.device] : undefined,
        coalesceKey: `eta:${st.kit}:${leg.taskId}`,
        body,
      });
    } catch (err) {
      this.counters.refused += 1;
      this.ports.log.warn({ err, kit: st.kit, taskId: leg.taskId }, 'eta: update refused by the journal');
      return;
    }
    this.counters.updates += 1;
    const entry = { etaMs: leg.etaMs, at: now };
    st.published.set(leg.taskId, entry);
    const history = st.history.get(leg.taskId) ?? [];
    history.push(entry);
    st.history.set(leg.taskId, pruneHistory(history, now - Math.max(...this.opts.horizonsMin) * 60_000));
  }
}

/** keeps the newest entry at or before the cutoff and everything after it */
function pruneHistory<T extends { at: number }>(history: T[], cutoff: number): T[] {
  let firstKept = 0;
  for (let i = 0; i < history.length; i++) if (history[i].at <= cutoff) firstKept = i;
  return history.slice(firstKept);
}

function iso(ms: number): string {
  return new Date(Math.round(ms)).toISOString();
}
