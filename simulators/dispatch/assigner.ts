/**
 * The reference dispatch's assignment loop. A pickup request (admin API) goes, as a
 * `task.assign` on the downlink, to the kit with room for another stop whose position and
 * workload (its `kit.workload` records: where it is, when it finishes its stops) give the
 * earliest arrival at the request's address. A `task.declined` or `task.unacknowledged`
 * from that kit sends it to the next best kit that has not turned it down (cancelled on
 * the first kit's gateway when the next is on another); `task.accepted` and the
 * `pickup.completed` of the task (of its last parcel, for a stop of several) or the
 * `pickup.exception` of a stop the courier closed short (or the `pickup.closed` of an
 * any-number stop) close the loop. The summary reports the time from each
 * assignment to its accept, as dispatch sees it (the downlink and the sync included).
 */
import { haversineM, type LatLon } from '../../core/geo.js';
import type { DownlinkFeed } from './downlink-queue.js';
import type { StoredRecord } from './store.js';

export interface PickupRequest {
  /** becomes the task id */
  id: string;
  customer: string;
  address: { text: string; lat: number; lon: number };
  window: { from: string; to: string };
  service?: 'standard' | 'express' | 'heavy';
  waybill?: string;
  declaredWeightGrams?: number;
  /** parcels expected at the stop (1 when absent), or any number */
  expectedPieces?: number | 'any';
}

export interface AssignerOptions {
  addDownlink(feed: DownlinkFeed): unknown;
  now?: () => number;
  /** a kit with this many open stops takes no more (default 12) */
  maxStops?: number;
  /** planning speed and road factor of the straight-line estimate (30 km/h, 1.3) */
  speedKmh?: number;
  roadFactor?: number;
  /** time spent at each stop (default 4 min) */
  dwellMs?: number;
}

interface KitView {
  gatewayId: string;
  kit: string;
  position?: LatLon;
  /** the kit's estimated finish of its stops, ms */
  finishMs?: number;
  stops: number;
  /** the address of the last stop this dispatch gave it, still open */
  lastStop?: LatLon;
  nextSequence: number;
}

export type RequestStateName = 'assigned' | 'accepted' | 'picked-up' | 'unassigned';

export interface Attempt {
  gatewayId: string;
  kit: string;
  at: number;
  /** the kit's arrival as this dispatch estimated it */
  etaMs: number;
  outcome?: 'accepted' | 'declined' | 'unacknowledged';
  reason?: string;
}

export interface RequestState {
  request: PickupRequest;
  state: RequestStateName;
  attempts: Attempt[];
  /** ms from the accepted assignment to its task.accepted reaching dispatch */
  assignToAcceptMs?: number;
  receipt?: string;
}

export interface AssignmentSummary {
  requests: number;
  assigned: number;
  accepted: number;
  pickedUp: number;
  unassigned: number;
  declined: number;
  unacknowledged: number;
  reassigned: number;
  /** from each assignment that was accepted to its accept */
  assignToAcceptMs: { count: number; median: number | null; max: number | null };
}

export class Assigner {
  private readonly kits = new Map<string, KitView>();
  private readonly requests = new Map<string, RequestState>();
  private readonly now: () => number;
  private readonly maxStops: number;
  private readonly msPerM: number;
  private readonly dwellMs: number;

  constructor(private readonly o: AssignerOptions) {
    this.now = o.now ?? Date.now;
    this.maxStops = o.maxStops ?? 12;
    this.msPerM = ((o.roadFactor ?? 1.3) * 3600) / (o.speedKmh ?? 30);
    this.dwellMs = o.dwellMs ?? 4 * 60_000;
  }

  /** A new request: assigned at once when a kit has room (else `unassigned`). */
  request(request: PickupRequest): RequestState {
    const old = this.requests.get(request.id);
    if (old) return old;
    const st: RequestState = { request, state: 'unassigned', attempts: [] };
    this.requests.set(request.id, st);
    this.assign(st);
    return st;
  }

  /** Every new record dispatch receives. */
  observe(gatewayId: string, rec: StoredRecord): void {
    const body = (rec.body ?? {}) as Record<string, unknown>;
    const kit = typeof body.kit === 'string' ? body.kit : typeof rec.kit === 'string' ? rec.kit : undefined;
    if (rec.kind === 'kit.workload' && kit !== undefined) {
      const view = this.kit(gatewayId, kit);
      const pos = body.position as LatLon | null | undefined;
      if (pos && typeof pos.lat === 'number' && typeof pos.lon === 'number') view.position = { lat: pos.lat, lon: pos.lon };
      view.finishMs = typeof body.finishEta === 'string' ? Date.parse(body.finishEta) : undefined;
      if (typeof body.stops === 'number') view.stops = body.stops;
      return;
    }
    const taskId = typeof body.taskId === 'string' ? body.taskId : undefined;
    const st = taskId === undefined ? undefined : this.requests.get(taskId);
    const attempt = st?.attempts.at(-1);
    if (!st || !attempt || attempt.kit !== kit || attempt.gatewayId !== gatewayId) return;
    if (rec.kind === 'task.accepted' && st.state === 'assigned') {
      attempt.outcome = 'accepted';
      st.state = 'accepted';
      st.assignToAcceptMs = Math.max(0, this.now() - attempt.at);
    } else if ((rec.kind === 'task.declined' || rec.kind === 'task.unacknowledged') && st.state === 'assigned') {
      attempt.outcome = rec.kind === 'task.declined' ? 'declined' : 'unacknowledged';
      if (typeof body.reason === 'string') attempt.reason = body.reason;
      this.released(attempt);
      this.assign(st);
    } else if (stopDone(rec.kind, body) && (st.state === 'accepted' || st.state === 'assigned')) {
      st.state = 'picked-up';
      if (typeof body.receipt === 'string') st.receipt = body.receipt;
      this.released(attempt);
    }
  }

  list(): RequestState[] {
    return [...this.requests.values()];
  }

  summary(): AssignmentSummary {
    const all = this.list();
    const count = (s: RequestStateName) => all.filter((r) => r.state === s).length;
    const outcomes = all.flatMap((r) => r.attempts.map((a) => a.outcome));
    const times = all.map((r) => r.assignToAcceptMs).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
    return {
      requests: all.length,
      assigned: count('assigned'),
      accepted: count('accepted'),
      pickedUp: count('picked-up'),
      unassigned: count('unassigned'),
      declined: outcomes.filter((o) => o === 'declined').length,
      unacknowledged: outcomes.filter((o) => o === 'unacknowledged').length,
      reassigned: all.reduce((n, r) => n + Math.max(0, r.attempts.length - 1), 0),
      assignToAcceptMs: { count: times.length, median: times.length ? times[Math.floor((times.length - 1) / 2)] : null, max: times.length ? times[times.length - 1] : null },
    };
  }

  private kit(gatewayId: string, kit: string): KitView {
    const key = `${gatewayId}/${kit}`;
    let v = this.kits.get(key);
    if (!v) this.kits.set(key, (v = { gatewayId, kit, stops: 0, nextSequence: 1000 }));
    return v;
  }

  /** the kit's arrival at `to` after the stops it has: from its last stop (or where it is), once it is done */
  private etaAt(v: KitView, to: LatLon, now: number): number {
    const from = v.lastStop ?? v.position;
    if (!from) return Number.POSITIVE_INFINITY;
    const start = Math.max(now, v.finishMs ?? now) + (v.lastStop || v.stops > 0 ? this.dwellMs : 0);
    return start + haversineM(from, to) * this.msPerM;
  }

  private assign(st: RequestState): void {
    const now = this.now();
    const refused = new Set(st.attempts.map((a) => `${a.gatewayId}/${a.kit}`));
    let best: { v: KitView; eta: number } | undefined;
    for (const [key, v] of this.kits) {
      if (refused.has(key) || v.stops >= this.maxStops) continue;
      const eta = this.etaAt(v, st.request.address, now);
      if (!best || eta < best.eta) best = { v, eta };
    }
    const previous = st.attempts.at(-1);
    if (!best) {
      st.state = 'unassigned';
      if (previous) this.cancelOn(previous, st.request.id, st.attempts.length);
      return;
    }
    const { v, eta } = best;
    if (previous && previous.gatewayId !== v.gatewayId) this.cancelOn(previous, st.request.id, st.attempts.length);
    const r = st.request;
    const task = {
      id: r.id,
      kit: v.kit,
      customer: r.customer,
      address: r.address,
      window: r.window,
      service: r.service ?? 'standard',
      sequence: v.nextSequence++,
      ...(r.waybill !== undefined ? { waybill: r.waybill } : {}),
      ...(r.declaredWeightGrams !== undefined ? { declaredWeightGrams: r.declaredWeightGrams } : {}),
      ...(r.expectedPieces !== undefined ? { expectedPieces: r.expectedPieces } : {}),
    };
    st.attempts.push({ gatewayId: v.gatewayId, kit: v.kit, at: now, etaMs: eta });
    st.state = 'assigned';
    v.stops++;
    v.lastStop = { lat: r.address.lat, lon: r.address.lon };
    void this.o.addDownlink({ gatewayId: v.gatewayId, items: [{ id: `assign-${r.id}-${st.attempts.length}`, kind: 'task.assign', task }] });
  }

  private cancelOn(a: Attempt, taskId: string, n: number): void {
    void this.o.addDownlink({ gatewayId: a.gatewayId, items: [{ id: `cancel-${taskId}-${n}`, kind: 'task.cancel', taskId }] });
  }

  /** the kit no longer has this stop */
  private released(a: Attempt): void {
    const v = this.kits.get(`${a.gatewayId}/${a.kit}`);
    if (v && v.stops > 0) v.stops--;
  }
}

/** The record ends the stop: a pickup of its last parcel (k of N with k = N, or of a one-parcel task), the exception of a stop closed short or beyond, or an any-number stop closed done. */
function stopDone(kind: string, body: Record<string, unknown>): boolean {
  if (kind === 'pickup.closed') return true;
  const pieces = body.pieces as { piece?: unknown; of?: unknown; done?: unknown } | null | undefined;
  if (kind === 'pickup.completed') return pieces == null || (typeof pieces.of === 'number' && typeof pieces.piece === 'number' && pieces.piece >= pieces.of);
  return kind === 'pickup.exception' && pieces != null && typeof pieces.done === 'number';
}
