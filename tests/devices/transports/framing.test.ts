import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineFraming } from '../../../devices/transports/framing.js';

function run(framing: LineFraming, chunks: (string | Buffer)[]): { frames: unknown[]; overflows: Buffer[] } {
  const frames: unknown[] = [];
  const overflows: Buffer[] = [];
  framing.on('data', (f) => frames.push(f));
  framing.on('overflow', (b: Buffer) => overflows.push(b));
  for (const c of chunks) framing.write(typeof c === 'string' ? Buffer.from(c, 'latin1') : c);
  return { frames, overflows };
}

describe('LineFraming', () => {
  it('splits on CR LF across chunk boundaries', () => {
    const { frames } = run(new LineFraming(), ['S S   10', '0.00 g\r', '\nS I\r\n', 'S +\r\n']);
    expect(frames).toEqual(['S S   100.00 g', 'S I', 'S +']);
  });

  it('keeps binary bytes as latin1 characters', () => {
    const { frames } = run(new LineFraming(), [Buffer.from([0x53, 0x54, 0xc4, 0x0d, 0x0a])]);
    expect(frames).toEqual(['ST\u00c4']);
  });

  it('drops a frame longer than the cap and reports it, then resynchronises', () => {
    const { frames, overflows } = run(new LineFraming({ maxBytes: 8 }), ['0123456789ABC', 'DEF\r\nok\r\n']);
    expect(overflows.length).toBe(1);
    expect(frames).toEqual(['ok']);
  });

  it('in lenient mode ends a frame at CR, LF or CR LF', () => {
    const { frames } = run(new LineFraming({ lenientLineEnd: true }), ['a\rb\nc\r', '\nd\r\n']);
    expect(frames).toEqual(['a', 'b', 'c', 'd']);
  });

  it('emits the same frames however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Z0-9 .]{1,12}$/), { minLength: 1, maxLength: 8 }), fc.nat(), (lines, seed) => {
        const text = lines.map((l) => `${l}\r\n`).join('');
        const chunks: string[] = [];
        let i = 0;
        let s = seed;
        while (i < text.length) {
          const n = 1 + (s % 5);
          s = (s * 31 + 7) % 9973;
          chunks.push(text.slice(i, i + n));
          i += n;
        }
        expect(run(new LineFraming(), chunks).frames).toEqual(lines);
      }),
    );
  });
});
