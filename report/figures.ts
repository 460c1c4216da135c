/**
 * The day's operating figures, computed from records (the journal's, or those dispatch
 * received): pure functions, no I/O. On-time pickups, first-attempt success, exceptions
 * by reason, mean ETA error against a naive constant-speed baseline, pieces per stop and
 * the customers' feedback. `courier-gw report`, the scenario summary and the demo use them.
 */
import { haversineM } from '../core/geo.js';

/** the part of a record envelope (cloud-sync/journal/records.ts) the figures read */
export interface ReportRecord {
  kind: string;
  createdAt: string;
  kit?: string;
  body: Record<string, unknown>;
}

/** the record kinds computeReport reads; every other kind is passed over */
export const REPORT_KINDS: ReadonlySet<string> = new Set(['pickup.completed', 'pickup.exception', 'eta.update', 'position.track', 'customer.feedback', 'consent.missing']);

export interface ReportOptions {
  /** YYYY-MM-DD: only records created that day (UTC); absent: every record given */
  day?: string;
  /** the naive baseline's constant speed over the straight line, km/h; default 30 */
  baselineKmh?: number;
  /** ETA updates made up to this long before the pickup are scored; default 60 min */
  horizonMin?: number;
}

export interface Rate {
  count: number;
  of: number;
  /** count / of, rounded to 3 places; null when of is 0 */
  rate: number | null;
}

export interface DayReport {
  day: string | null;
  records: number;
  kits: string[];
  /** pickup.completed records (one per parcel) */
  pickups: number;
  /** stops (tasks) with a pickup or an exception */
  stops: number;
  /** stops picked up within their window, of the stops picked up with a window */
  onTime: Rate;
  /** stops whose first attempt was a pickup, of the stops attempted */
  firstAttempt: Rate;
  exceptions: { total: number; byReason: Record<string, Rate> };
  eta: {
    /** ETA updates scored: made within the horizon before their stop's first pickup */
    samples: number;
    /** mean |ETA − pickup time| of the model, minutes */
    maeMin: number | null;
    /** the samples with a track position and a pickup position: the model and the baseline on the same ones */
    paired: number;
    pairedMaeMin: number | null;
    baselineMaeMin: number | null;
    baselineKmh: number;
  };
  /** parcels per stop picked up: a record counts its `pieces` (a number) or 1 */
  piecesPerStop: { stops: number; mean: number | null; histogram: Record<string, number> };
  feedback: { ratings: number; meanScore: number | null; scores: Record<string, number>; complaints: Record<string, number> };
  consentMissing: number;
}

const MIN = 60_000;

export function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

function rate(count: number, of: number): Rate {
  return { count, of, rate: of > 0 ? Math.round((count / of) * 1000) / 1000 : null };
}

function mean(xs: number[]): number | null {
  return xs.length > 0 ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100 : null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function latLon(v: unknown): { lat: number; lon: number } | undefined {
  const p = v as { lat?: unknown; lon?: unknown } | null | undefined;
  return p && typeof p.lat === 'number' && typeof p.lon === 'number' ? { lat: p.lat, lon: p.lon } : undefined;
}

interface Stop {
  kit: string;
  firstKind: string;
  firstAt: number;
  pickedUpAt?: number;
  pickedUpAtPosition?: { lat: number; lon: number };
  window?: { from: number; to: number };
  pieces: number;
}

interface TrackPoint {
  at: number;
  lat: number;
  lon: number;
}

/** the last track point at or before `at` (within 5 min), by binary search */
function positionAt(track: TrackPoint[] | undefined, at: number): TrackPoint | undefined {
  if (!track || track.length === 0) return undefined;
  let lo = 0;
  let hi = track.length - 1;
  if (track[0].at > at) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (track[mid].at <= at) lo = mid;
    else hi = mid - 1;
  }
  return at - track[lo].at <= 5 * MIN ? track[lo] : undefined;
}

export function computeReport(records: Iterable<ReportRecord>, o: ReportOptions = {}): DayReport {
  const baselineKmh = o.baselineKmh ?? 30;
  const horizonMs = (o.horizonMin ?? 60) * MIN;
  const stops = new Map<string, Stop>();
  const exceptions: Record<string, number> = {};
  const etas: { kit: string; taskId: string; eta: number; at: number }[] = [];
  const tracks = new Map<string, TrackPoint[]>();
  const kits = new Set<string>();
  const scores: Record<string, number> = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
  const complaints: Record<string, number> = {};
  let count = 0;
  let pickups = 0;
  let ratings = 0;
  let scoreSum = 0;
  let consentMissing = 0;
  let exceptionTotal = 0;

  for (const r of records) {
    if (o.day !== undefined && dayOf(r.createdAt) !== o.day) continue;
    count++;
    const at = Date.parse(r.createdAt);
    const body = r.body ?? {};
    const kit = r.kit ?? str(body.kit) ?? '';
    if (r.kind === 'pickup.completed' || r.kind === 'pickup.exception') {
      if (kit) kits.add(kit);
      if (r.kind === 'pickup.completed') pickups++;
      else {
        exceptionTotal++;
        const reason = str(body.reason) ?? 'unknown';
        exceptions[reason] = (exceptions[reason] ?? 0) + 1;
      }
      const taskId = str(body.taskId);
      if (!taskId) continue;
      const key = `${kit}\u0000${taskId}`;
      let s = stops.get(key);
      if (!s) stops.set(key, (s = { kit, firstKind: r.kind, firstAt: at, pieces: 0 }));
      if (at < s.firstAt) {
        s.firstAt = at;
        s.firstKind = r.kind;
      }
      if (r.kind === 'pickup.completed') {
        s.pieces += typeof body.pieces === 'number' && body.pieces > 0 ? body.pieces : 1;
        if (s.pickedUpAt === undefined || at < s.pickedUpAt) {
          s.pickedUpAt = at;
          s.pickedUpAtPosition = latLon(body.position);
        }
        const w = body.window as { from?: unknown; to?: unknown } | null | undefined;
        if (w && typeof w.from === 'string' && typeof w.to === 'string') s.window = { from: Date.parse(w.from), to: Date.parse(w.to) };
      }
    } else if (r.kind === 'eta.update') {
      const taskId = str(body.taskId);
      const eta = str(body.eta);
      const made = str(body.positionAt) ?? r.createdAt;
      if (taskId && eta) etas.push({ kit, taskId, eta: Date.parse(eta), at: Date.parse(made) });
    } else if (r.kind === 'position.track') {
      const p = latLon(body);
      if (!p || !kit) continue;
      let t = tracks.get(kit);
      if (!t) tracks.set(kit, (t = []));
      t.push({ at: Date.parse(str(body.at) ?? r.createdAt), ...p });
    } else if (r.kind === 'customer.feedback') {
      if (typeof body.score === 'number' && body.score >= 1 && body.score <= 5) {
        ratings++;
        scoreSum += body.score;
        scores[String(Math.round(body.score))]++;
      }
      const c = str(body.complaint);
      if (c) complaints[c] = (complaints[c] ?? 0) + 1;
    } else if (r.kind === 'consent.missing') consentMissing++;
  }

  for (const t of tracks.values()) t.sort((a, b) => a.at - b.at);
  const all = [...stops.values()];
  const pickedUp = all.filter((s) => s.pickedUpAt !== undefined);
  const withWindow = pickedUp.filter((s) => s.window);
  const onTime = withWindow.filter((s) => s.pickedUpAt! >= s.window!.from && s.pickedUpAt! <= s.window!.to);

  const model: number[] = [];
  const pairedModel: number[] = [];
  const pairedBaseline: number[] = [];
  for (const e of etas) {
    const s = stops.get(`${e.kit}\u0000${e.taskId}`);
    if (s?.pickedUpAt === undefined) continue;
    const lead = s.pickedUpAt - e.at;
    if (lead <= 0 || lead > horizonMs) continue;
    const err = Math.abs(e.eta - s.pickedUpAt) / MIN;
    model.push(err);
    const from = positionAt(tracks.get(e.kit), e.at);
    if (!from || !s.pickedUpAtPosition) continue;
    const naive = e.at + (haversineM(from, s.pickedUpAtPosition) / 1000 / baselineKmh) * 3_600_000;
    pairedModel.push(err);
    pairedBaseline.push(Math.abs(naive - s.pickedUpAt) / MIN);
  }

  const histogram: Record<string, number> = {};
  for (const s of pickedUp) histogram[String(s.pieces)] = (histogram[String(s.pieces)] ?? 0) + 1;
  const byReason: Record<string, Rate> = {};
  for (const [reason, n] of Object.entries(exceptions).sort((a, b) => b[1] - a[1])) byReason[reason] = rate(n, all.length);

  return {
    day: o.day ?? null,
    records: count,
    kits: [...kits].sort(),
    pickups,
    stops: all.length,
    onTime: rate(onTime.length, withWindow.length),
    firstAttempt: rate(all.filter((s) => s.firstKind === 'pickup.completed').length, all.length),
    exceptions: { total: exceptionTotal, byReason },
    eta: { samples: model.length, maeMin: mean(model), paired: pairedModel.length, pairedMaeMin: mean(pairedModel), baselineMaeMin: mean(pairedBaseline), baselineKmh },
    piecesPerStop: { stops: pickedUp.length, mean: mean(pickedUp.map((s) => s.pieces)), histogram },
    feedback: { ratings, meanScore: ratings > 0 ? Math.round((scoreSum / ratings) * 100) / 100 : null, scores, complaints },
    consentMissing,
  };
}
