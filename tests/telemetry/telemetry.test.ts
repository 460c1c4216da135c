import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { TelemetryRecorder } from '../../telemetry/telemetry.js';
import type { RecordInput, RecordSink } from '../../rules/records.js';
import type { RecordEnvelope } from '../../cloud-sync/journal/records.js';
import type { DeviceEvent } from '../../devices/events.js';

function sink(): RecordSink & { got: RecordInput[] } {
  const got: RecordInput[] = [];
  return { got, append: async (r) => (got.push(r), r as RecordEnvelope) };
}

const pos = (lat: number, lon: number, fix: 'none' | '3d' = '3d'): DeviceEvent<'position'> => ({ deviceId: 'gps-1', kit: 'van-1', type: 'position', payload: { lat, lon, fix }, receivedAt: 0 });

describe('telemetry records', () => {
  it('keeps a track point every 30 s or every 200 m, on the device track stream, never for no fix', () => {
    const s = sink();
    let now = 0;
    const t = new TelemetryRecorder({ sink: s, log: pino({ level: 'silent' }), now: () => now });
    t.position(pos(52.52, 13.405));
    now = 10_000;
    t.position(pos(52.5201, 13.405)); // 11 m, 10 s: dropped
    now = 20_000;
    t.position(pos(52.5225, 13.405)); // 278 m: kept
    now = 25_000;
    t.position(pos(52.6, 13.5, 'none'));
    now = 51_000;
    t.position(pos(52.5226, 13.405)); // 31 s later: kept
    expect(s.got.map((r) => [r.kind, r.stream, r.body.lat])).toEqual([
      ['position.track', 'track:gps-1', 52.52],
      ['position.track', 'track:gps-1', 52.5225],
      ['position.track', 'track:gps-1', 52.5226],
    ]);
  });

  it('records device health coalesced per device', () => {
    const s = sink();
    const t = new TelemetryRecorder({ sink: s, log: pino({ level: 'silent' }), now: () => 0 });
    t.health('scale-1', 'van-1', 'unavailable', { reason: 'no Bluetooth' });
    expect(s.got[0]).toMatchObject({ kind: 'device.health', stream: 'health:scale-1', coalesceKey: 'health:scale-1', body: { device: 'scale-1', state: 'unavailable', reason: 'no Bluetooth' } });
  });
});
