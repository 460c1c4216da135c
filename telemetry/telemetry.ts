/**
 * The low-priority records: position tracks (bulk lane, downsampled) and device health
 * (live lane, the newest unsent state per device). Each on its own stream, since the
 * journal may thin or coalesce them.
 */
import type { Logger } from 'pino';
import type { DeviceEvent } from '../devices/events.js';
import type { RecordSink } from '../rules/records.js';
import { haversineM } from '../core/geo.js';

export interface TelemetryOptions {
  sink: RecordSink;
  log: Logger;
  now: () => number;
  /** a track point at most this often per device (ms), default 30 s */
  trackEveryMs?: number;
  /** or sooner when the device moved this far (m), default 200 m */
  trackEveryM?: number;
}

interface Last {
  at: number;
  lat: number;
  lon: number;
}

export class TelemetryRecorder {
  private readonly last = new Map<string, Last>();
  private readonly everyMs: number;
  private readonly everyM: number;
  refused = 0;

  constructor(private readonly o: TelemetryOptions) {
    this.everyMs = o.trackEveryMs ?? 30_000;
    this.everyM = o.trackEveryM ?? 200;
  }

  /** A position event: kept as a track point when enough time passed or the device moved far enough. */
  position(e: DeviceEvent<'position'>): void {
    const p = e.payload;
    if (p.fix === 'none') return;
    const now = this.o.now();
    const prev = this.last.get(e.deviceId);
    if (prev && now - prev.at < this.everyMs && haversineM(prev, p) < this.everyM) return;
    this.last.set(e.deviceId, { at: now, lat: p.lat, lon: p.lon });
    this.append({
      kind: 'position.track',
      stream: `track:${e.deviceId}`,
      kit: e.kit,
      devices: [e.deviceId],
      body: { lat: p.lat, lon: p.lon, speedKmh: p.speedKmh, headingDeg: p.headingDeg, accuracyM: p.accuracyM, fix: p.fix, at: p.at ?? new Date(now).toISOString() },
    });
  }

  /** A device state change: the newest unsent one per device reaches dispatch. */
  health(deviceId: string, kit: string, state: string, detail: Record<string, unknown> | undefined): void {
    this.append({
      kind: 'device.health',
      stream: `health:${deviceId}`,
      kit,
      devices: [deviceId],
      coalesceKey: `health:${deviceId}`,
      body: { device: deviceId, state, ...(typeof detail?.reason === 'string' ? { reason: detail.reason } : {}), at: new Date(this.o.now()).toISOString() },
    });
  }

  private append(input: Parameters<RecordSink['append']>[0]): void {
    this.o.sink.append(input).catch((err: Error & { reason?: string }) => {
      this.refused++;
      this.o.log.debug({ kind: input.kind, reason: err.reason ?? err.message }, 'telemetry record refused');
    });
  }
}
