import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FrameRing, tapTransports } from '../../../devices/transports/tap.js';
import type { HidBackend, HidHandle, SerialLink, Transports } from '../../../devices/transports/types.js';

describe('FrameRing', () => {
  it('keeps the last frames, oldest first, as hex and escaped text, counting them all', () => {
    const r = new FrameRing(3);
    for (let i = 0; i < 5; i++) r.push('in', `S S   ${i} g\r\n`, 1000 + i);
    r.push('out', Buffer.from([0x1b, 0x40, 0x5c]), 2000);
    expect(r.total).toBe(6);
    const list = r.list();
    expect(list.map((f) => f.at)).toEqual([1003, 1004, 2000]);
    expect(list[0]).toEqual({ dir: 'in', at: 1003, hex: '5320532020203320670d0a', text: 'S S   3 g\\r\\n', bytes: 11 });
    expect(list[2]).toMatchObject({ dir: 'out', hex: '1b405c', text: '\\x1b@\\x5c', bytes: 3 });
  });

  it('shows at most 256 bytes of a frame and tells its length', () => {
    const r = new FrameRing(2);
    r.push('in', Buffer.alloc(10_000, 0x41), 1);
    expect(r.list()[0]!.bytes).toBe(10_000);
    expect(r.list()[0]!.text).toHaveLength(256);
  });
});

describe('tapTransports', () => {
  it("records a serial link's frames and writes, and a HID handle's data and writes, leaving them working", async () => {
    const link = Object.assign(new EventEmitter(), { isOpen: true, start() {}, stop: async () => undefined, written: [] as unknown[], async write(d: Uint8Array | string) { this.written.push(d); } });
    const handle = Object.assign(new EventEmitter(), { sent: [] as number[][], write(d: number[]) { this.sent.push(d); return d.length; }, close() {} });
    const backend: HidBackend = { devices: () => [], open: () => handle as unknown as HidHandle };
    const base: Transports = { serial: () => link as unknown as SerialLink, hid: async () => backend, ble: async () => { throw new Error('no ble'); } };
    const ring = new FrameRing(8);
    const t = tapTransports(base, ring, () => 42);
    const l = t.serial({ path: '/dev/ttyX', baudRate: 9600, framing: () => { throw new Error('unused'); } });
    let seen = '';
    l.on('frame', (f) => (seen = String(f)));
    link.emit('frame', 'S S 1 g');
    await l.write('SI\r\n');
    expect(seen).toBe('S S 1 g');
    expect(link.written).toEqual(['SI\r\n']);
    const h = (await t.hid()).open('/dev/hidraw0');
    handle.emit('data', Buffer.from([1, 2]));
    expect(h.write([3, 4])).toBe(2);
    expect(handle.sent).toEqual([[3, 4]]);
    expect(ring.list().map((f) => [f.dir, f.hex, f.at])).toEqual([['in', Buffer.from('S S 1 g').toString('hex'), 42], ['out', Buffer.from('SI\r\n').toString('hex'), 42], ['in', '0102', 42], ['out', '0304', 42]]);
  });
});
