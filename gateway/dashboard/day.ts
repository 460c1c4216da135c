/**
 * The day's figures on the dashboard: the report's own pure code (report/figures.ts, the
 * code the demo summary and `courier-gw report` run) over the day's records of the kinds it
 * reads. Each record the journal keeps is added as it comes (O(1), at most `maxRecords`
 * kept, the oldest dropped first); the figures are computed when a browser asks, at most
 * once per `cacheMs` and only after something changed. The day's records already in the
 * journal are read once, in the background, when the first browser asks, so a restart
 * mid-day keeps the figures.
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
  private records: KeptRecord[] = [];
  private seeding: Promise<void> | undefined;
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

  /**
   * Reads the day's records already in the journal (the newest day found) once, the first
   * time it is called, and merges those kept meanwhile by id. Until a browser asks, the
   * journal is not read at all: a gateway starting on a large backlog starts as fast.
   */
  seed(read: (each: (r: KeptRecord) => void) => Promise<unknown>, log?: Logger): Promise<void> {
    return (this.seeding ??= this.read(read, log));
  }

  private async read(read: (each: (r: KeptRecord) => void) => Promise<unknown>, log?: Logger): Promise<void> {
    const seeded = new DayFigures({ maxRecords: this.maxRecords });
    try {
      await read((r) => seeded.add(r));
    } catch (err) {
      log?.warn({ err }, 'dashboard: the day figures count from the start of the gateway: the journal was not read');
      return;
    }
    const ids = new Set(seeded.records.map((r) => r.id));
    const live = this.records;
    this.day = '';
    this.records = [];
    for (const r of seeded.records) this.add(r);
    for (const r of live) if (!ids.has(r.id)) this.add(r);
    this.changed = true;
  }

  add(r: KeptRecord): void {
    if (!REPORT_KINDS.has(r.kind)) return;
    const day = dayOf(r.createdAt);
    if (day < this.day) return;
    if (day > this.day) {
      this.day = day;
      this.records = [];
    }
    this.records.push({ id: r.id, kind: r.kind, createdAt: r.createdAt, kit: r.kit, body: r.body });
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
