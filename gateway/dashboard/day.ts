/**
 * The day's figures on the dashboard: the report's own pure code (report/figures.ts, the
 * code the demo summary and `courier-gw report` run) over the day's records of the kinds it
 * reads. Each record the journal keeps is added as it comes (O(1), at most `maxRecords`
 * kept, the oldest dropped first); the figures are computed when a browser asks, at most
 * once per `cacheMs` and only after something changed. At start the day's records already
 * in the journal are read once, in the background, so a restart mid-day keeps the figures.
 */
import type { Logger } from 'pino';
import { REPORT_KINDS, computeReport, dayOf, type DayReport, type ReportRecord } from '../../report/figures.js';

export interface KeptRecord extends ReportRecord {
  id: string;
}

export interface DayFiguresOptions {
  /** records kept for the figures; default 100,000 */
  maxRecords?: number;
  /** figures computed at most this often; default 2 s */
  cacheMs?: number;
  now?: () => number;
}

export class DayFigures {
  private day = '';
  private records: ReportRecord[] = [];
  /** records kept while the journal is read at start: merged by id once it is */
  private early: KeptRecord[] | undefined;
  private changed = true;
  private cached: { at: number; report: DayReport } | undefined;
  private readonly maxRecords: number;
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(o: DayFiguresOptions = {}) {
    this.maxRecords = o.maxRecords ?? 100_000;
    this.cacheMs = o.cacheMs ?? 2_000;
    this.now = o.now ?? Date.now;
  }

  /** Reads the day's records already in the journal (the newest day found), then keeps what came meanwhile. */
  async seed(read: (each: (r: KeptRecord) => void) => Promise<unknown>, log?: Logger): Promise<void> {
    this.early = [];
    const seeded = new DayFigures({ maxRecords: this.maxRecords });
    const ids = new Set<string>();
    try {
      await read((r) => {
        if (!REPORT_KINDS.has(r.kind)) return;
        const before = seeded.day;
        seeded.add(r);
        if (seeded.day !== before) ids.clear();
        if (seeded.day === dayOf(r.createdAt)) ids.add(r.id);
      });
    } catch (err) {
      log?.warn({ err }, 'dashboard: the day figures start from now: the journal was not read');
    }
    const early = this.early;
    this.early = undefined;
    this.day = seeded.day;
    this.records = seeded.records;
    for (const r of early) if (!ids.has(r.id)) this.add(r);
    this.changed = true;
  }

  add(r: KeptRecord): void {
    if (!REPORT_KINDS.has(r.kind)) return;
    if (this.early) {
      this.early.push(r);
      return;
    }
    const day = dayOf(r.createdAt);
    if (day < this.day) return;
    if (day > this.day) {
      this.day = day;
      this.records = [];
    }
    this.records.push({ kind: r.kind, createdAt: r.createdAt, kit: r.kit, body: r.body });
    // dropping half at once keeps adding O(1) amortised
    if (this.records.length > this.maxRecords) this.records = this.records.slice(this.records.length - Math.floor(this.maxRecords / 2));
    this.changed = true;
  }

  /** the day's figures (null before the first record) */
  report(): DayReport | null {
    if (!this.day) return null;
    const now = this.now();
    if (this.cached && (!this.changed || now - this.cached.at < this.cacheMs)) return this.cached.report;
    this.cached = { at: now, report: computeReport(this.records, { day: this.day }) };
    this.changed = false;
    return this.cached.report;
  }
}
