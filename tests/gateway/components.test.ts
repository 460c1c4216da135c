import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClockMonitor } from '../../clock/clock.js';
import type { DeviceEvent } from '../../devices/events.js';
import { ClockComponent } from '../../gateway/clock-component.js';
import { EventBus } from '../../gateway/event-bus.js';
import { RulesComponent } from '../../gateway/rules-component.js';
import type { PickupPipeline } from '../../rules/pipeline.js';

const position = (deviceId: string, payload: Record<string, unknown>): DeviceEvent =>
  ({ deviceId, kit: 'van-1', type: 'position', payload: { lat: 52.5, lon: 13.4, ...payload }, receivedAt: 1_000 }) as unknown as DeviceEvent;

describe('components own their bus listeners', () => {
  it('the clock takes the time of a GPS unit’s fixes only, and hears nothing once stopped', async () => {
    const bus = new EventBus(pino({ level: 'silent' }));
    const offered: [string, number][] = [];
    const clock = { start: async () => undefined, stop: async () => undefined, offerGps: (at: string, rx: number) => void offered.push([at, rx]) } as unknown as ClockMonitor;
    const c = new ClockComponent({ clock, bus, gpsDevices: new Set(['gps-1']) });
    await c.start();
    bus.emit('device-event', position('gps-1', { at: '2024-05-17T09:30:00Z', fix: '3d' }));
    bus.emit('device-event', position('gps-1', { at: '2024-05-17T09:30:01Z', fix: 'none' }));
    bus.emit('device-event', position('gps-1', {}));
    bus.emit('device-event', position('app-1', { at: '2024-05-17T09:30:02Z', fix: '3d' }));
    await c.stop();
    bus.emit('device-event', position('gps-1', { at: '2024-05-17T09:30:03Z', fix: '3d' }));
    expect(offered).toEqual([['2024-05-17T09:30:00Z', 1_000]]);
  });

  it('the pipeline hears every device but the locker flows’ own', async () => {
    const bus = new EventBus(pino({ level: 'silent' }));
    const heard: string[] = [];
    const pipeline = { start: async () => undefined, stop: async () => undefined, handle: (e: DeviceEvent) => void heard.push(e.deviceId), rules: { version: '1' } } as unknown as PickupPipeline;
    const c = new RulesComponent({ pipeline, bus, lockerDevices: new Set(['terminal-1']) });
    await c.start();
    bus.emit('device-event', position('scanner-1', {}));
    bus.emit('device-event', position('terminal-1', {}));
    await c.stop();
    bus.emit('device-event', position('scanner-1', {}));
    expect(heard).toEqual(['scanner-1']);
  });
});
