/**
 * The reference dispatch's record store: records checked, deduplicated by id, counted per
 * kind, with the figures a test asks about (duplicates, changed records under one id,
 * gaps in seq per stream). Optionally each new record is appended to a JSONL file.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { laneOf } from '../../cloud-sync/journal/records.js';

export interface StoredRecord {
  id: string;
  kind: string;
  gatewayId: string;
  stream: string;
  seq: number;
  [k: string]: unknown;
}

export interface BatchAnswer {
  acked: string[];
  rejected: { id: string; reason: string }[];
}

export interface StreamSummary {
  count: number;
  maxSeq: number;
  missingCount: number;
  /** the first 100 missing seq numbers */
  missing: number[];
  /** a stream of bulk or coalesced live records (thinned or superseded by design): its gaps are not counted in gapCount */
  lossy?: boolean;
}

export interface StoreSummary {
  distinctIds: number;
  /** every record received, duplicates included */
  received: number;
  perKind: Record<string, number>;
  duplicates: number;
  changedUnderSameId: number;
  rejected: number;
  /** array entries without an id, which cannot be answered */
  malformed: number;
  /** keyed `${gatewayId}/${stream}` */
  streams: Record<string, StreamSummary>;
  /** missing seq numbers in streams of never-dropped records (pickups, exceptions, locker events, customer feedback) */
  gapCount: number;
}

const CLOCKS = new Set(['ntp', 'gps', 'unsynced']);

/** the basic envelope check; returns a reason code and sentence, or undefined when fine */
export function envelopeProblem(r: Record<string, unknown>, gatewayId: string): string | undefined {
  if (typeof r.kind !== 'string' || !(r.kind in laneOf)) return `KIND_UNKNOWN: '${String(r.kind)}' is not a record kind`;
  if (r.gatewayId !== gatewayId) return `GATEWAY_MISMATCH: record of '${String(r.gatewayId)}' sent as '${gatewayId}'`;
  if (typeof r.stream !== 'string' || r.stream === '') return 'STREAM_MISSING: stream must be a non-empty string';
  if (typeof r.seq !== 'number' || !Number.isInteger(r.seq) || r.seq < 1) return 'SEQ_INVALID: seq must be an integer from 1';
  if (typeof r.createdAt !== 'string' || Number.isNaN(Date.parse(r.createdAt))) return 'CREATED_AT_INVALID: createdAt must be an ISO 8601 time';
  if (typeof r.clock !== 'string' || !CLOCKS.has(r.clock)) return 'CLOCK_INVALID: clock must be ntp, gps or unsynced';
  if (typeof r.bootId !== 'string' || r.bootId === '') return 'BOOT_ID_MISSING: bootId must be a non-empty string';
  if (typeof r.monoMs !== 'number' || !Number.isFinite(r.monoMs)) return 'MONO_MS_INVALID: monoMs must be a number';
  if (typeof r.body !== 'object' || r.body === null || Array.isArray(r.body)) return 'BODY_INVALID: body must be an object';
  return undefined;
}

/** JSON with object keys sorted, so the same record compares equal whatever its key order */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export class RecordStore {
  private readonly byId = new Map<string, { record: StoredRecord; canonical: string }>();
  private readonly perKind: Record<string, number> = {};
  private readonly seqs = new Map<string, Set<number>>();
  /** streams with bulk or coalesced live records: the gateway may thin or supersede those, so their gaps are expected */
  private readonly lossy = new Set<string>();
  private readonly counts = { received: 0, duplicates: 0, changed: 0, rejected: 0, malformed: 0 };
  private readonly file: WriteStream | undefined;

  /** onNew hears each record the first time it arrives */
  constructor(storeFile?: string, private readonly onNew?: (gatewayId: string, record: StoredRecord) => void) {
    this.file = storeFile === undefined ? undefined : createWriteStream(storeFile, { flags: 'a' });
  }

  /** takes one batch from a gateway and answers it; onStored hears each record stored for the first time */
  accept(gatewayId: string, records: unknown[], onStored?: (record: StoredRecord, atMs: number) => void): BatchAnswer {
    const answer: BatchAnswer = { acked: [], rejected: [] };
    for (const r of records) {
      if (typeof r !== 'object' || r === null || typeof (r as { id?: unknown }).id !== 'string' || (r as { id: string }).id === '') {
        this.counts.malformed++;
        continue;
      }
      const rec = r as StoredRecord;
      this.counts.received++;
      const problem = envelopeProblem(rec, gatewayId);
      if (problem !== undefined) {
        this.counts.rejected++;
        answer.rejected.push({ id: rec.id, reason: problem });
        continue;
      }
      const c = canonical(rec);
      const seen = this.byId.get(rec.id);
      if (seen !== undefined) {
        this.counts.duplicates++;
        if (seen.canonical !== c) this.counts.changed++;
      } else {
        this.byId.set(rec.id, { record: rec, canonical: c });
        this.perKind[rec.kind] = (this.perKind[rec.kind] ?? 0) + 1;
        const key = `${gatewayId}/${rec.stream}`;
        let s = this.seqs.get(key);
        if (s === undefined) this.seqs.set(key, (s = new Set()));
        s.add(rec.seq);
        // only bulk records and coalesced live ones may be dropped by the gateway
        const lane = laneOf[rec.kind as keyof typeof laneOf];
        if (lane === 'bulk' || (lane === 'live' && rec.coalesceKey !== undefined)) this.lossy.add(key);
        this.file?.write(`${JSON.stringify(rec)}\n`);
        this.onNew?.(gatewayId, rec);
        onStored?.(rec, Date.now());
      }
      answer.acked.push(rec.id);
    }
    return answer;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  records(filter: { kind?: string; gatewayId?: string } = {}): StoredRecord[] {
    const out: StoredRecord[] = [];
    for (const { record } of this.byId.values()) {
      if (filter.kind !== undefined && record.kind !== filter.kind) continue;
      if (filter.gatewayId !== undefined && record.gatewayId !== filter.gatewayId) continue;
      out.push(record);
    }
    return out;
  }

  summary(): StoreSummary {
    const streams: Record<string, StreamSummary> = {};
    let gapCount = 0;
    for (const [key, set] of this.seqs) {
      let maxSeq = 0;
      for (const n of set) if (n > maxSeq) maxSeq = n;
      const missing: number[] = [];
      let missingCount = 0;
      for (let n = 1; n <= maxSeq; n++) {
        if (set.has(n)) continue;
        missingCount++;
        if (missing.length < 100) missing.push(n);
      }
      const lossy = this.lossy.has(key);
      if (!lossy) gapCount += missingCount;
      streams[key] = { count: set.size, maxSeq, missingCount, missing, ...(lossy ? { lossy } : {}) };
    }
    return {
      distinctIds: this.byId.size,
      received: this.counts.received,
      perKind: { ...this.perKind },
      duplicates: this.counts.duplicates,
      changedUnderSameId: this.counts.changed,
      rejected: this.counts.rejected,
      malformed: this.counts.malformed,
      streams,
      gapCount,
    };
  }

  async close(): Promise<void> {
    const f = this.file;
    if (f === undefined) return;
    await new Promise<void>((resolve) => f.end(() => resolve()));
  }
}
