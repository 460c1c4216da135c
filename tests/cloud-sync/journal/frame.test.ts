import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeFrame, encodeFrame, FRAME_HEADER_BYTES } from '../../../cloud-sync/journal/frame.js';

describe('journal frame', () => {
  it('lays out length, payload checksum and header checksum, little-endian', () => {
    const frame = encodeFrame(Buffer.from('123456789'));
    expect(frame.length).toBe(FRAME_HEADER_BYTES + 9);
    expect(frame.readUInt32LE(0)).toBe(9);
    expect(frame.readUInt32LE(4)).toBe(0xcbf43926); // CRC-32 check value of "123456789"
    expect(frame.subarray(12).toString()).toBe('123456789');
  });

  it('decodes what it encodes, back to back, at any position', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 6 }), (payloads) => {
        const buf = Buffer.concat(payloads.map((p) => encodeFrame(Buffer.from(p))));
        let pos = 0;
        for (const p of payloads) {
          const d = decodeFrame(buf, pos);
          if (d.type !== 'frame') throw new Error(`expected a frame, got ${d.type}`);
          expect([...d.payload]).toEqual([...p]);
          pos += d.size;
        }
        expect(pos).toBe(buf.length);
      }),
    );
  });

  it('reports every cut of a frame as short, never as a frame', () => {
    const frame = encodeFrame(Buffer.from('{"id":"x"}'));
    for (let cut = 0; cut < frame.length; cut += 1) {
      const d = decodeFrame(frame.subarray(0, cut), 0);
      expect(d.type).toBe('short');
    }
  });

  it('tells a damaged header from a damaged payload', () => {
    const frame = encodeFrame(Buffer.from('{"id":"x"}'));
    const badLength = Buffer.from(frame);
    badLength[0] ^= 0x01;
    expect(decodeFrame(badLength, 0)).toEqual({ type: 'bad', reason: 'header-checksum' });
    const badPayload = Buffer.from(frame);
    badPayload[14] ^= 0x40;
    expect(decodeFrame(badPayload, 0)).toEqual({ type: 'bad', reason: 'payload-checksum', size: frame.length });
  });

  it('never takes zeros for a record', () => {
    expect(decodeFrame(Buffer.alloc(64), 0)).toEqual({ type: 'bad', reason: 'header-checksum' });
  });

  it('finds any single flipped bit', () => {
    const frame = encodeFrame(Buffer.from('{"id":"01J","seq":1}'));
    fc.assert(
      fc.property(fc.nat({ max: frame.length * 8 - 1 }), (bit) => {
        const damaged = Buffer.from(frame);
        damaged[bit >> 3] ^= 1 << (bit & 7);
        expect(decodeFrame(damaged, 0).type).not.toBe('frame');
      }),
    );
  });
});
