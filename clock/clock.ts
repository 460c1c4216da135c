/**
 * Trustworthy time: whether the system clock is synchronised, and what a GPS receiver's
 * UTC says about it. When the clock is not synchronised and the offset system − GPS
 * becomes known for this boot, one `clock.sync` record tells dispatch how to correct this
 * boot's records (nothing already written is changed).
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { ulid } from '../core/ids.js';
import type { ClockQuality, RecordSink } from '../rules/records.js';

/** Resolves true when the system clock is synchronised (NTP or similar), false otherwise. */
export type SyncProbe = () => Promise<boolean>;

export interface SystemProbeDeps {
  platform: NodeJS.Platform;
  /** runs a command and resolves its stdout; rejects when it is missing or fails */
  run(cmd: string, args: readonly string[], timeoutMs: number): Promise<string>;
  exists(path: string): Promise<boolean>;
}

const systemDeps: SystemProbeDeps = {
  platform: process.platform,
  run: (cmd, args, timeoutMs) =>
    new Promise((resolve, reject) => {
      execFile(cmd, [...args], { timeout: timeoutMs }, (err, stdout) => (err ? reject(err) : resolve(String(stdout))));
    }),
  exists: (path) => access(path).then(
    () => true,
    () => false,
  ),
};

export const TIMESYNC_FLAG = '/run/systemd/timesync/synchronized';

/**
 * Linux: `timedatectl show -p NTPSynchronized --value` when it answers yes/no, else the
 * flag file systemd-timesyncd leaves once synchronised. Anything else counts as unsynced
 * (the kernel's adjtimex status is not reachable from Node).
 */
export function systemSyncProbe(deps: SystemProbeDeps = systemDeps): SyncProbe {
  return async () => {
    if (deps.platform !== 'linux') return false;
    try {
      const answer = (await deps.run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], 2000)).trim();
      if (answer === 'yes') return true;
      if (answer === 'no') return false;
    } catch {
      // no timedatectl, or no systemd to ask: try the flag file
    }
    return deps.exists(TIMESYNC_FLAG);
  };
}

export interface ClockOptions {
  /** how often the sync probe runs */
  probeEveryMs: number;
  /** GPS samples older than this are forgotten */
  windowMs: number;
  maxSamples: number;
  /** samples kept (after outliers are dropped) before the offset is trusted */
  minSamples: number;
  /** a sample further than this from the median is an outlier */
  outlierMs: number;
  /** share of samples in the window that must agree with the median */
  minAgreement: number;
  /** |offset| up to this counts as a correct clock: quality 'gps' */
  gpsGoodMs: number;
}

export const defaultClockOptions: ClockOptions = {
  probeEveryMs: 60_000,
  windowMs: 10 * 60_000,
  maxSamples: 60,
  minSamples: 5,
  outlierMs: 1000,
  minAgreement: 0.6,
  gpsGoodMs: 2000,
};

export interface ClockMonitorPorts {
  sink: RecordSink;
  /** the stream of clock.sync records: the gateway id */
  stream: string;
  log: Logger;
  probe?: SyncProbe;
  /** system wall clock, ms since epoch */
  now?: () => number;
  /** monotonic ms of this process (the journal's monoMs) */
  mono?: () => number;
  bootId?: string;
  options?: Partial<ClockOptions>;
}

export interface GpsOffset {
  /** system − GPS, ms */
  offsetMs: number;
  /** samples that agreed */
  samples: number;
}

export type GpsSampleResult = 'accepted' | 'invalid';

export interface ClockStamp {
  clock: ClockQuality;
  bootId: string;
  monoMs: number;
  createdAt: string;
}

interface Sample {
  offsetMs: number;
  receivedAt: number;
  gpsAt: number;
}

export class ClockMonitor {
  readonly bootId: string;
  private readonly opts: ClockOptions;
  private readonly probe: SyncProbe;
  private readonly now: () => number;
  private readonly mono: () => number;
  private synced: boolean | undefined;
  private samples: Sample[] = [];
  private offset: (GpsOffset & { anchor: Sample }) | undefined;
  private published = false;
  private publishing = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private invalidSamples = 0;

  constructor(private readonly ports: ClockMonitorPorts) {
    this.opts = { ...defaultClockOptions, ...ports.options };
    this.probe = ports.probe ?? systemSyncProbe();
    this.now = ports.now ?? Date.now;
    this.mono = ports.mono ?? (() => performance.now());
    this.bootId = ports.bootId ?? ulid(this.now());
  }

  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.opts.probeEveryMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** runs the sync probe once (start() and the timer call it) */
  async check(): Promise<void> {
    let synced: boolean;
    try {
      synced = await this.probe();
    } catch (err) {
      this.ports.log.warn({ err }, 'clock sync probe failed');
      synced = false;
    }
    if (synced !== this.synced) {
      this.ports.log.info({ synced }, synced ? 'system clock synchronised' : 'system clock not synchronised');
      // a clock that just got synchronised was probably stepped: older samples no longer apply
      if (synced && this.synced === false) this.samples = [];
    }
    this.synced = synced;
    if (synced) this.recompute();
    else this.maybePublish();
  }

  quality(): ClockQuality {
    if (this.synced) return 'ntp';
    if (this.offset && Math.abs(this.offset.offsetMs) <= this.opts.gpsGoodMs) return 'gps';
    return 'unsynced';
  }

  /** the trusted offset system − GPS in ms, when known */
  offsetMs(): number | undefined {
    if (this.synced) return 0;
    return this.offset?.offsetMs;
  }

  gpsOffset(): GpsOffset | undefined {
    return this.offset ? { offsetMs: this.offset.offsetMs, samples: this.offset.samples } : undefined;
  }

  /** what a record writer needs: clock quality, boot id, monotonic ms, creation time */
  stamp(): ClockStamp {
    return {
      clock: this.quality(),
      bootId: this.bootId,
      monoMs: Math.round(this.mono()),
      createdAt: new Date(this.now()).toISOString(),
    };
  }

  stats(): { samples: number; invalidSamples: number; published: boolean } {
    return { samples: this.samples.length, invalidSamples: this.invalidSamples, published: this.published };
  }

  /**
   * A UTC time from a valid GPS fix (RMC status A) and the system time it was received at.
   */
  offerGps(utcIso: string, receivedAtMs: number): GpsSampleResult {
    const gpsAt = Date.parse(utcIso);
    if (!Number.isFinite(gpsAt) || !Number.isFinite(receivedAtMs)) {
      this.invalidSamples += 1;
      return 'invalid';
    }
    this.samples.push({ offsetMs: receivedAtMs - gpsAt, receivedAt: receivedAtMs, gpsAt });
    this.recompute();
    this.maybePublish();
    return 'accepted';
  }

  private recompute(): void {
    const oldest = this.now() - this.opts.windowMs;
    this.samples = this.samples.filter((s) => s.receivedAt >= oldest).slice(-this.opts.maxSamples);
    const found = trustedOffset(
      this.samples.map((s) => s.offsetMs),
      this.opts,
    );
    if (!found) {
      this.offset = undefined;
      return;
    }
    const anchor = this.samples[this.samples.length - 1];
    this.offset = { ...found, anchor };
  }

  private maybePublish(): void {
    if (this.synced !== false || !this.offset || this.published || this.publishing) return;
    const { offsetMs, samples, anchor } = this.offset;
    this.publishing = true;
    const body = {
      bootId: this.bootId,
      offsetMs,
      source: 'gps',
      samples,
      gpsAt: new Date(anchor.gpsAt).toISOString(),
      systemAt: new Date(anchor.receivedAt).toISOString(),
      // lets dispatch place records of this boot by monoMs even if the clock is stepped later
      monoMs: Math.round(this.mono() - (this.now() - anchor.receivedAt)),
    };
    this.ports.sink.append({ kind: 'clock.sync', stream: this.ports.stream, body }).then(
      () => {
        this.published = true;
        this.publishing = false;
        this.ports.log.info({ offsetMs, samples }, 'clock offset from GPS recorded');
      },
      (err: unknown) => {
        this.publishing = false;
        this.ports.log.warn({ err }, 'clock.sync record refused; will retry on a later sample');
      },
    );
  }
}

/** Median of the samples after outliers are dropped, when enough of them agree. */
export function trustedOffset(
  offsets: readonly number[],
  opts: Pick<ClockOptions, 'minSamples' | 'outlierMs' | 'minAgreement'>,
): GpsOffset | undefined {
  if (offsets.length < opts.minSamples) return undefined;
  const mid = median(offsets);
  const kept = offsets.filter((o) => Math.abs(o - mid) <= opts.outlierMs);
  if (kept.length < opts.minSamples || kept.length < opts.minAgreement * offsets.length) return undefined;
  return { offsetMs: Math.round(median(kept)), samples: kept.length };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
