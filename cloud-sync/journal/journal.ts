/**
 * The durable journal: the Outbox the gateway appends records to and the sync transports
 * drain. Records are framed into per-lane segment files and acknowledged to the producer
 * only after the fdatasync covering them (group commit: one fsync serves every record that
 * arrived while the previous one ran).
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { monotonicFactory } from '../../core/ids.js';
import type { Outbox, OutboxStats } from '../outbox.js';
import { RecordRefusedError, type ClockQuality, type RecordInput } from '../../rules/records.js';
import { laneOf, type Lane, type RecordEnvelope } from './records.js';
import { appendDeadLetters } from './dead-letter.js';
import { buildEnvelope } from './envelope.js';
import { encodeFrame, FRAME_HEADER_BYTES, MAX_PAYLOAD_BYTES } from './frame.js';
import { errorCode, nodeFs, type JournalFs } from './fs-seam.js';
import { readIntoWindow } from './lane-reader.js';
import { LaneQueue, type SegmentMeta } from './lane.js';
import { JournalMeter, type JournalMetrics } from './metrics.js';
import { Mutex } from './mutex.js';
import { refOf, replayLane, type ReplayEvents } from './replay.js';
import { SegmentWriter, planLane, type SegmentTarget } from './segment-writer.js';
import { LANES, listSegments, segmentPath } from './segments.js';
import { loadState, saveState, type JournalState } from './state.js';
import { orphanSummaries, removeSummary, writeSummary } from './summary.js';

export interface JournalOptions {
  dir: string;
  gatewayId: string;
  /** bytes of segments allowed on disk (default 512 MiB); alarm at 80 % */
  quotaBytes?: number;
  /** a segment is closed and a new one started past this size (default 8 MiB) */
  segmentBytes?: number;
  /** how long an append arriving at an idle journal waits for others to share its fsync (default 1 ms; 0 = next turn of the event loop) */
  groupCommitMs?: number;
  clock: () => ClockQuality;
  bootId: string;
  /** wall clock in ms (default Date.now) */
  now?: () => number;
  log: Logger;
  /** file operations (default node:fs); a seam for tests */
  fs?: JournalFs;
  /** called with the newest `replayTailRecords` unacknowledged records of each segment read on open, so with the lane's newest */
  onReplay?: (env: RecordEnvelope) => void;
  /** records at the tail of each lane read on open, never taken from a segment summary (default 1000) */
  replayTailRecords?: number;
  /** records kept in memory at the head of each lane (default 1024) */
  windowRecords?: number;
}

export type JournalAlarm = { kind: 'quota' | 'corrupt' | 'rejected' | 'io'; message: string };

interface PendingAppend {
  input: RecordInput;
  lane: Lane;
  createdAtMs: number;
  clock: ClockQuality;
  monoMs: number;
  resolve: (env: RecordEnvelope) => void;
  reject: (err: Error) => void;
}

interface Prepared {
  item: PendingAppend;
  env: RecordEnvelope;
  frame: Buffer;
}

const MIB = 1024 * 1024;
const MAX_BATCH_RECORDS = 8192;

export class Journal extends EventEmitter implements Outbox {
  /** what replay found on open: torn tails truncated, segments quarantined */
  readonly recovery: ReplayEvents = { torn: [], quarantined: [] };
  private readonly fs: JournalFs;
  private readonly dir: string;
  private readonly log: Logger;
  private readonly quotaBytes: number;
  private readonly segmentBytes: number;
  private readonly groupCommitMs: number;
  private readonly now: () => number;
  private readonly nextId = monotonicFactory();
  private readonly lanes: Record<Lane, LaneQueue>;
  private readonly writer: SegmentWriter;
  private readonly nextSegment: Record<Lane, number> = { live: 1, records: 1, bulk: 1 };
  /** lanes whose last segment must not be appended to (it was quarantined) */
  private readonly sealed = new Set<Lane>();
  /** last durable seq per stream */
  private readonly lastSeq = new Map<string, number>();
  private readonly lock = new Mutex();
  private readonly meter = new JournalMeter();
  private queue: PendingAppend[] = [];
  private committing: Promise<void> | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private quotaAlarmed = false;
  private readonly startupAlarms: JournalAlarm[] = [];
  /** segment summaries being written */
  private readonly summaryWrites = new Set<Promise<void>>();
  /** the state last written, to skip writing it again unchanged */
  private savedState: string | null = null;

  private constructor(private readonly options: JournalOptions) {
    super();
    this.fs = options.fs ?? nodeFs;
    this.dir = options.dir;
    this.log = options.log.child({ component: 'journal' });
    this.quotaBytes = options.quotaBytes ?? 512 * MIB;
    this.segmentBytes = options.segmentBytes ?? 8 * MIB;
    this.groupCommitMs = options.groupCommitMs ?? 1;
    this.now = options.now ?? Date.now;
    const windowRecords = options.windowRecords ?? 1024;
    const start = { seg: 0, offset: 0 };
    this.lanes = {
      live: new LaneQueue('live', windowRecords, start),
      records: new LaneQueue('records', windowRecords, start),
      bulk: new LaneQueue('bulk', windowRecords, start),
    };
    this.writer = new SegmentWriter(this.fs, this.dir, this.log);
  }

  static async open(options: JournalOptions): Promise<Journal> {
    const journal = new Journal(options);
    await journal.recover();
    // alarms found while opening reach listeners attached right after open resolves
    const found = journal.startupAlarms.splice(0);
    if (found.length > 0) setImmediate(() => found.forEach((alarm) => journal.emit('alarm', alarm)));
    return journal;
  }

  private async recover(): Promise<void> {
    await this.fs.mkdir(this.dir);
    const loaded = await loadState(this.fs, this.dir);
    let state: JournalState | null = null;
    if (loaded.type === 'loaded') {
      state = loaded.state;
      this.savedState = JSON.stringify(state);
    }
    if (loaded.type === 'invalid') {
      this.log.error({ reason: loaded.message }, 'journal state unreadable: replaying every segment from its start');
      this.deferAlarm({ kind: 'corrupt', message: `journal state unreadable (${loaded.message}); every kept record will be sent again` });
    }
    for (const [stream, seq] of Object.entries(state?.lastSeq ?? {})) this.lastSeq.set(stream, seq);
    const numbers = await listSegments(this.fs, this.dir);
    const ctx = { fs: this.fs, dir: this.dir, log: this.log, lastSeq: this.lastSeq, events: this.recovery, onReplay: this.options.onReplay, tailRecords: this.options.replayTailRecords };
    for (const name of LANES) {
      const cursor = state?.cursors[name] ?? { seg: 0, offset: 0 };
      const lane = this.lanes[name];
      lane.readPos = { ...cursor };
      for (const { id, seg } of state?.ackedAhead[name] ?? []) lane.doneAhead.set(id, seg);
      const highest = await replayLane(ctx, lane, numbers[name], cursor);
      this.nextSegment[name] = Math.max(highest, cursor.seg) + 1;
      const lastNumber = numbers[name].at(-1);
      if (lastNumber !== undefined && lane.segments.at(-1)?.n !== lastNumber) this.sealed.add(name);
    }
    for (const name of await orphanSummaries(this.fs, this.dir, await listSegments(this.fs, this.dir))) {
      await this.fs.unlink(join(this.dir, name)).catch((err: unknown) => this.log.warn({ err, file: name }, 'could not delete a stale segment summary'));
    }
    for (const q of this.recovery.quarantined) {
      this.deferAlarm({ kind: 'corrupt', message: `segment ${q.segment} quarantined at byte ${q.offset} (${q.reason}); its ${q.readableRecords} readable records were set aside` });
    }
    await this.persistState();
    this.checkQuota((alarm) => this.deferAlarm(alarm));
    this.log.info({ depth: this.stats().depth, bytesOnDisk: this.bytesOnDisk() }, 'journal open');
  }

  private deferAlarm(alarm: JournalAlarm): void {
    this.startupAlarms.push(alarm);
  }

  private alarm(alarm: JournalAlarm): void {
    this.emit('alarm', alarm);
  }

  // ---- appending -------------------------------------------------------------------

  append(input: RecordInput): Promise<RecordEnvelope> {
    if (this.closed) return Promise.reject(new RecordRefusedError('CLOSED', 'the journal is closed'));
    const lane: Lane | undefined = Object.hasOwn(laneOf, input.kind) ? laneOf[input.kind] : undefined;
    if (!lane) return Promise.reject(new RecordRefusedError('INVALID', `unknown record kind ${String(input.kind)}`));
    return new Promise<RecordEnvelope>((resolve, reject) => {
      this.queue.push({ input, lane, createdAtMs: this.now(), clock: this.options.clock(), monoMs: performance.now(), resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.committing) return;
    this.committing = (async () => {
      await new Promise<void>((resolve) => (this.groupCommitMs > 0 ? setTimeout(resolve, this.groupCommitMs) : setImmediate(resolve)));
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH_RECORDS);
        await this.commitBatch(batch);
        // producers resumed by this commit append again within this turn: they join the next batch at once
        if (this.queue.length === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    })().finally(() => {
      this.committing = null;
      if (this.queue.length > 0) this.schedule();
    });
  }

  /** assigns ids and seqs, applies the quota, writes and syncs one batch; never throws */
  private async commitBatch(batch: PendingAppend[]): Promise<void> {
    const tentative = new Map<string, number>();
    const prepared: Prepared[] = [];
    let batchBytes = 0;
    for (const item of batch) {
      const stream = item.input.stream;
      const seq = (tentative.get(stream) ?? this.lastSeq.get(stream) ?? 0) + 1;
      let env: RecordEnvelope;
      let frame: Buffer;
      try {
        env = buildEnvelope(item.input, { id: this.nextId(item.createdAtMs), gatewayId: this.options.gatewayId, bootId: this.options.bootId, seq, createdAtMs: item.createdAtMs, clock: item.clock, monoMs: item.monoMs });
        const payload = Buffer.from(JSON.stringify(env));
        if (payload.length > MAX_PAYLOAD_BYTES) throw new Error(`record of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
        frame = encodeFrame(payload);
      } catch (err) {
        item.reject(new RecordRefusedError('INVALID', err instanceof Error ? err.message : String(err)));
        continue;
      }
      if (item.lane === 'bulk' && !(await this.makeRoom(batchBytes + frame.length))) {
        this.meter.refused += 1;
        item.reject(new RecordRefusedError('QUOTA', `journal over its quota of ${this.quotaBytes} bytes: position track refused`));
        continue;
      }
      tentative.set(stream, seq);
      prepared.push({ item, env, frame });
      batchBytes += frame.length;
    }
    if (prepared.length === 0) return;

    const targets: SegmentTarget[] = [];
    const nextSegment = { ...this.nextSegment };
    const byLane = new Map<Lane, Prepared[]>();
    for (const p of prepared) {
      const list = byLane.get(p.item.lane);
      if (list) list.push(p);
      else byLane.set(p.item.lane, [p]);
    }
    const placement = new Map<Prepared, { seg: number; offset: number }>();
    for (const [name, items] of byLane) {
      const last = this.lanes[name].segments.at(-1) ?? null;
      const plan = planLane(name, items.map((p) => p.frame), last, !this.sealed.has(name), this.segmentBytes, nextSegment[name]);
      nextSegment[name] = plan.nextSegment;
      targets.push(...plan.targets);
      items.forEach((p, i) => placement.set(p, plan.placements[i]));
    }

    let fsyncMs: number;
    try {
      ({ fsyncMs } = await this.writer.write(targets));
    } catch (err) {
      const code = errorCode(err);
      const reason = code === 'ENOSPC' || code === 'EDQUOT' ? 'DISK_FULL' : 'IO';
      this.meter.writeErrors += 1;
      this.log.error({ err, code, records: prepared.length }, 'journal write failed; the batch was rolled back');
      this.alarm({ kind: 'io', message: `journal write failed (${code ?? 'error'}): ${prepared.length} record(s) not recorded` });
      for (const p of prepared) p.item.reject(new RecordRefusedError(reason, `journal write failed: ${code ?? String(err)}`));
      return;
    }

    for (const name of byLane.keys()) this.sealed.delete(name);
    Object.assign(this.nextSegment, nextSegment);
    const lastBefore = new Map([...byLane.keys()].map((name) => [name, this.lanes[name].segments.at(-1)?.n]));
    for (const p of prepared) {
      const at = placement.get(p) as { seg: number; offset: number };
      const lane = this.lanes[p.item.lane];
      if (!lane.segment(at.seg)) lane.addSegment(at.seg);
      // the window keeps its own copy, read back from the bytes written: the producer's objects may change later
      const payload = p.frame.subarray(FRAME_HEADER_BYTES);
      lane.admit(refOf(p.env, at.seg, at.offset, p.frame.length, payload.length), () => Object.freeze(JSON.parse(payload.toString('utf8')) as RecordEnvelope), false);
      this.lastSeq.set(p.env.stream, p.env.seq);
    }
    for (const [name, before] of lastBefore) if (before !== undefined) this.summarizeClosed(name, before);
    this.meter.commit(fsyncMs, prepared.length, batchBytes);
    for (const p of prepared) {
      p.item.resolve(p.env);
      this.emit('appended', p.env);
    }
    this.checkQuota();
  }

  /** writes the summaries of the segments from `from` on that this commit closed (the lane moved past them) */
  private summarizeClosed(name: Lane, from: number): void {
    if (name === 'live') return;
    const lane = this.lanes[name];
    const last = lane.segments.at(-1);
    if (!last || last.n === from) return;
    const lastSeq = Object.fromEntries(this.lastSeq);
    for (const seg of lane.segments) {
      if (seg.n < from || seg.n >= last.n || !seg.whole) continue;
      const summary = { version: 1 as const, size: seg.size, records: seg.records, firstCreatedAtMs: seg.firstCreatedAtMs, lastSeq };
      const write = writeSummary(this.fs, this.dir, name, seg.n, summary)
        .catch((err: unknown) => this.log.warn({ err, lane: name, segment: seg.n }, 'could not write a segment summary; the segment is read on the next open'))
        .finally(() => this.summaryWrites.delete(write));
      this.summaryWrites.add(write);
    }
  }

  private bytesOnDisk(): number {
    return LANES.reduce((sum, name) => sum + this.lanes[name].bytes(), 0);
  }

  /** thins bulk until `extra` more bytes fit under the quota; false when they cannot */
  private async makeRoom(extra: number): Promise<boolean> {
    while (this.bytesOnDisk() + extra > this.quotaBytes) {
      if (!(await this.thinOldestBulkSegment())) return false;
    }
    return true;
  }

  /** drops the oldest bulk segment that is not being written; false when there is none */
  private thinOldestBulkSegment(): Promise<boolean> {
    return this.lock.run(async () => {
      const bulk = this.lanes.bulk;
      if (bulk.segments.length < 2) return false;
      const seg = bulk.dropSegment(bulk.segments[0].n) as SegmentMeta;
      this.meter.thinned += seg.pending;
      await this.persistState();
      await this.unlinkSegment('bulk', seg.n);
      this.log.warn({ segment: seg.n, dropped: seg.pending, bytes: seg.size }, 'journal over quota: oldest position-track segment dropped');
      return true;
    });
  }

  private checkQuota(raise: (alarm: JournalAlarm) => void = (alarm) => this.alarm(alarm)): void {
    const ratio = this.bytesOnDisk() / this.quotaBytes;
    if (ratio >= 0.8 && !this.quotaAlarmed) {
      this.quotaAlarmed = true;
      raise({ kind: 'quota', message: `journal at ${Math.round(ratio * 100)} % of its ${this.quotaBytes} byte quota` });
    } else if (ratio < 0.75) {
      this.quotaAlarmed = false;
    }
  }

  // ---- draining --------------------------------------------------------------------

  next(maxCount: number, maxBytes: number): Promise<RecordEnvelope[]> {
    return this.lock.run(async () => {
      const out: RecordEnvelope[] = [];
      let bytes = 0;
      for (const name of LANES) {
        const lane = this.lanes[name];
        const taken = new Set<string>();
        for (;;) {
          for (const { env, payloadBytes } of lane.pending()) {
            if (taken.has(env.id)) continue;
            if (out.length >= maxCount || (out.length > 0 && bytes + payloadBytes > maxBytes)) return out;
            out.push(env);
            taken.add(env.id);
            bytes += payloadBytes;
          }
          if (out.length >= maxCount || bytes >= maxBytes || !lane.hasUnread()) break;
          await this.readMore(lane, maxCount - out.length, maxBytes - bytes);
        }
      }
      return out;
    });
  }

  /** reads records beyond the window from disk until `count` pending ones or `bytes` were added, or the lane ends */
  private async readMore(lane: LaneQueue, count: number, bytes: number): Promise<void> {
    const want = { count, bytes };
    while (want.count > 0 && want.bytes > 0 && lane.hasUnread()) {
      const damage = await readIntoWindow(this.fs, this.dir, lane, want);
      if (damage) await this.quarantine(lane, damage.seg, damage);
    }
  }

  private async quarantine(lane: LaneQueue, n: number, damage: { offset: number; reason: string }): Promise<void> {
    const wasLast = lane.segments.at(-1)?.n === n;
    const seg = lane.dropSegment(n);
    const lost = seg?.pending ?? 0;
    if (wasLast) {
      await this.writer.retire(lane.lane);
      this.sealed.add(lane.lane);
    }
    const path = segmentPath(this.dir, lane.lane, n);
    await this.fs.rename(path, `${path}.corrupt`).catch((err: unknown) => this.log.error({ err, path }, 'could not rename a corrupt segment'));
    await removeSummary(this.fs, this.dir, lane.lane, n).catch((err: unknown) => this.log.warn({ err, path }, 'could not delete the summary of a corrupt segment'));
    await this.persistState();
    this.meter.quarantined += 1;
    this.log.error({ lane: lane.lane, segment: n, offset: damage.offset, reason: damage.reason, lost }, 'corrupt journal segment quarantined');
    this.alarm({ kind: 'corrupt', message: `segment ${lane.lane}#${n} quarantined at byte ${damage.offset} (${damage.reason}); ${lost} unsent record(s) set aside` });
  }

  ack(ids: readonly string[]): Promise<void> {
    return this.lock.run(async () => {
      let done = 0;
      for (const id of ids) {
        for (const name of LANES) {
          if (this.lanes[name].complete(id)) {
            done += 1;
            break;
          }
        }
      }
      this.meter.acked += done;
      if (done > 0) await this.settle();
    });
  }

  reject(items: readonly { id: string; reason: string }[]): Promise<void> {
    return this.lock.run(async () => {
      const found: { id: string; reason: string; lane: LaneQueue; env: RecordEnvelope }[] = [];
      for (const { id, reason } of items) {
        const lane = LANES.map((n) => this.lanes[n]).find((l) => l.holds(id));
        const env = lane?.peek(id);
        if (lane && env && !found.some((f) => f.id === id)) found.push({ id, reason, lane, env });
      }
      if (found.length === 0) return;
      await appendDeadLetters(this.fs, this.dir, new Date(this.now()).toISOString(), found);
      for (const f of found) f.lane.complete(f.id);
      this.meter.rejected += found.length;
      await this.settle();
      this.log.warn({ count: found.length, reasons: [...new Set(found.map((f) => f.reason))] }, 'records rejected by dispatch moved to dead-letter');
      this.alarm({ kind: 'rejected', message: `${found.length} record(s) rejected by dispatch (${found[0].reason}) moved to the dead-letter file` });
    });
  }

  /** persists cursors after acknowledgements, then deletes wholly acknowledged segments */
  private async settle(): Promise<void> {
    const removed: { lane: Lane; n: number }[] = [];
    for (const name of LANES) {
      this.lanes[name].popDone();
      for (const seg of this.lanes[name].takeAcknowledgedSegments()) removed.push({ lane: name, n: seg.n });
    }
    await this.persistState();
    for (const { lane, n } of removed) await this.unlinkSegment(lane, n);
  }

  private async unlinkSegment(lane: Lane, n: number): Promise<void> {
    await this.fs.unlink(segmentPath(this.dir, lane, n)).catch((err: unknown) => {
      if (errorCode(err) !== 'ENOENT') this.log.warn({ err, lane, segment: n }, 'could not delete a journal segment; it is removed on next open');
    });
    await removeSummary(this.fs, this.dir, lane, n).catch((err: unknown) => this.log.warn({ err, lane, segment: n }, 'could not delete a segment summary; it is removed on next open'));
  }

  private async persistState(): Promise<void> {
    const state: JournalState = {
      version: 2,
      cursors: { live: this.lanes.live.frontier(), records: this.lanes.records.frontier(), bulk: this.lanes.bulk.frontier() },
      ackedAhead: { live: this.lanes.live.ackedAhead(), records: this.lanes.records.ackedAhead(), bulk: this.lanes.bulk.ackedAhead() },
      lastSeq: Object.fromEntries(this.lastSeq),
    };
    const text = JSON.stringify(state);
    if (text === this.savedState) return;
    await saveState(this.fs, this.dir, state);
    this.savedState = text;
  }

  // ---- observing -------------------------------------------------------------------

  stats(): OutboxStats {
    const now = this.now();
    const oldest = LANES.map((n) => this.lanes[n].oldestCreatedAtMs()).filter((t): t is number => t !== null);
    return {
      depth: { live: this.lanes.live.depth, records: this.lanes.records.depth, bulk: this.lanes.bulk.depth },
      bytesOnDisk: this.bytesOnDisk(),
      oldestUnsentMs: oldest.length > 0 ? Math.max(0, now - Math.min(...oldest)) : 0,
      appended: this.meter.appended,
      acked: this.meter.acked,
      rejected: this.meter.rejected,
      thinned: this.meter.thinned,
    };
  }

  metrics(): JournalMetrics {
    return this.meter.snapshot(this.stats(), this.lanes.live.superseded);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      while (this.committing) await this.committing;
      await this.lock.run(async () => {
        await this.persistState();
        await this.writer.close();
      });
      await Promise.all([...this.summaryWrites]);
      this.log.info({ depth: this.stats().depth }, 'journal closed');
    })();
    return this.closing;
  }
}
