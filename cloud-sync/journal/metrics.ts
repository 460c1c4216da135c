/** Counters of the journal, exposed as plain numbers for the gateway's Prometheus registry. */
import type { OutboxStats } from '../outbox.js';

export interface JournalMetrics {
  depthLive: number;
  depthRecords: number;
  depthBulk: number;
  bytesOnDisk: number;
  oldestUnsentMs: number;
  appended: number;
  acked: number;
  rejected: number;
  /** bulk records dropped by the quota policy */
  thinned: number;
  /** live records replaced by a newer one with the same coalescing key before being sent */
  superseded: number;
  /** appends refused for quota */
  refused: number;
  /** batches that failed to write (ENOSPC, EIO) and were rolled back */
  writeErrors: number;
  /** segments renamed aside as corrupt while running */
  quarantined: number;
  /** group commits: one fdatasync round each */
  commits: number;
  fsyncLastMs: number;
  fsyncAvgMs: number;
  fsyncMaxMs: number;
  recordsPerCommit: number;
  /** frame bytes written (header + JSON) */
  bytesWritten: number;
  bytesPerRecord: number;
}

export class JournalMeter {
  appended = 0;
  acked = 0;
  rejected = 0;
  thinned = 0;
  refused = 0;
  writeErrors = 0;
  quarantined = 0;
  private commits = 0;
  private fsyncTotalMs = 0;
  private fsyncLastMs = 0;
  private fsyncMaxMs = 0;
  private bytesWritten = 0;

  commit(fsyncMs: number, records: number, bytes: number): void {
    this.commits += 1;
    this.fsyncTotalMs += fsyncMs;
    this.fsyncLastMs = fsyncMs;
    this.fsyncMaxMs = Math.max(this.fsyncMaxMs, fsyncMs);
    this.appended += records;
    this.bytesWritten += bytes;
  }

  snapshot(stats: OutboxStats, superseded: number): JournalMetrics {
    return {
      depthLive: stats.depth.live,
      depthRecords: stats.depth.records,
      depthBulk: stats.depth.bulk,
      bytesOnDisk: stats.bytesOnDisk,
      oldestUnsentMs: stats.oldestUnsentMs,
      appended: this.appended,
      acked: this.acked,
      rejected: this.rejected,
      thinned: this.thinned,
      superseded,
      refused: this.refused,
      writeErrors: this.writeErrors,
      quarantined: this.quarantined,
      commits: this.commits,
      fsyncLastMs: this.fsyncLastMs,
      fsyncAvgMs: this.commits > 0 ? this.fsyncTotalMs / this.commits : 0,
      fsyncMaxMs: this.fsyncMaxMs,
      recordsPerCommit: this.commits > 0 ? this.appended / this.commits : 0,
      bytesWritten: this.bytesWritten,
      bytesPerRecord: this.appended > 0 ? this.bytesWritten / this.appended : 0,
    };
  }
}
