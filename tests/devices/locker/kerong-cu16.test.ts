import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError, fromHex, toHex } from '../../../devices/codec.js';
import {
  bitOf,
  checksum,
  decodeFrame,
  decodeStateReply,
  encodePulse,
  encodeQuery,
  encodeQueryAll,
  encodeStateReply,
  encodeUnlock,
  encodeUnlockAll,
  splitFrames,
} from '../../../devices/locker/kerong-cu16.js';
import { KerongFraming } from '../../../devices/locker/kerong-framing.js';

function hex(text: string): Uint8Array {
  const bytes = fromHex(text);
  if (bytes instanceof CodecError) throw bytes;
  return bytes;
}

function encoded(value: Uint8Array | CodecError): string {
  if (value instanceof CodecError) throw value;
  return toHex(value);
}

describe('kerong-cu16 encode: PROTOCOLS.md §6 vectors', () => {
  it.each([
    ['query board 0', () => encodeQuery(0), '02 00 30 03 35'],
    ['unlock board 0, lock 1', () => encodeUnlock(0, 1), '02 00 31 03 36'],
    ['unlock board 1, lock 5', () => encodeUnlock(1, 5), '02 14 31 03 4A'],
    ['unlock all locks of board 0', () => encodeUnlockAll(0), '02 00 33 03 38'],
    ['state of board 0', () => encodeStateReply(0, 0xfffe, 0x0001), '02 00 35 FE FF 01 00 03 38'],
    ['unlock board 1, lock 3 (compartment A03)', () => encodeUnlock(1, 3), '02 12 31 03 48'],
    ['state of all boards (broadcast)', () => encodeQueryAll(), '02 F0 32 03 27'],
    ['query pulse of board 2', () => encodePulse(2), '02 20 37 03 5C'],
    ['set pulse of board 0 to 500 ms', () => encodePulse(0, 500), '02 00 37 32 03 6E'],
  ])('%s', (_name, make, want) => {
    expect(encoded(make())).toBe(want);
  });

  it.each([
    ['board 16', () => encodeQuery(16)],
    ['board -1', () => encodeUnlockAll(-1)],
    ['lock 0', () => encodeUnlock(0, 0)],
    ['lock 17', () => encodeUnlock(0, 17)],
    ['lock 1.5', () => encodeUnlock(0, 1.5)],
  ])('refuses %s with BAD_ADDRESS', (_name, make) => {
    const out = make();
    expect(out).toBeInstanceOf(CodecError);
    expect((out as CodecError).code).toBe('BAD_ADDRESS');
  });

  it('refuses a pulse outside 10-2550 ms', () => {
    expect((encodePulse(0, 3000) as CodecError).code).toBe('BAD_VALUE');
    expect((encodePulse(0, 0) as CodecError).code).toBe('BAD_VALUE');
  });
});

describe('kerong-cu16 decode: PROTOCOLS.md §6 vectors', () => {
  it.each([
    ['02 00 30 03 35', { type: 'query', board: 0 }],
    ['02 00 31 03 36', { type: 'unlock', board: 0, lock: 1 }],
    ['02 14 31 03 4A', { type: 'unlock', board: 1, lock: 5 }],
    ['02 00 33 03 38', { type: 'unlock-all', board: 0 }],
    ['02 00 35 FE FF 01 00 03 38', { type: 'state', board: 0, lockBits: 0xfffe, irBits: 0x0001 }],
    ['02 F0 32 03 27', { type: 'query-all' }],
    ['02 00 37 32 03 6E', { type: 'pulse', board: 0, pulseMs: 500 }],
    ['02 20 37 03 5C', { type: 'pulse', board: 2 }],
  ])('%s', (input, want) => {
    expect(decodeFrame(hex(input))).toEqual({ ...want, hex: input });
  });

  it('reads lock and IR bits per lock (bit n = lock n+1)', () => {
    const state = decodeStateReply(hex('02 00 35 FE FF 01 00 03 38'), 0);
    if (state instanceof CodecError) throw state;
    expect(bitOf(state.lockBits, 1)).toBe(0);
    expect(bitOf(state.lockBits, 2)).toBe(1);
    expect(bitOf(state.lockBits, 16)).toBe(1);
    expect(bitOf(state.irBits, 1)).toBe(1);
    expect(bitOf(state.irBits, 2)).toBe(0);
  });

  it.each([
    ['02 00 30 03', 'WRONG_LENGTH'],
    ['', 'WRONG_LENGTH'],
    ['02 00 30 00 03 35', 'WRONG_LENGTH'],
    ['02 00 35 FE FF 03 37', 'WRONG_LENGTH'],
    ['03 00 30 03 35', 'BAD_FRAME'],
    ['02 00 30 04 35', 'BAD_FRAME'],
    ['02 00 30 03 36', 'BAD_CHECKSUM'],
    ['02 00 35 FE FF 01 00 03 39', 'BAD_CHECKSUM'],
    ['02 00 39 03 3E', 'UNKNOWN_COMMAND'],
    ['02 01 30 03 36', 'WRONG_ADDRESS'],
    ['02 00 32 03 37', 'WRONG_ADDRESS'],
    ['02 03 35 FE FF 01 00 03 3B', 'WRONG_ADDRESS'],
  ])('%s is a typed %s', (input, code) => {
    const out = decodeFrame(hex(input));
    expect(out).toBeInstanceOf(CodecError);
    const err = out as CodecError;
    expect(err.code).toBe(code);
    expect(err.protocol).toBe('kerong-cu16');
    expect(err.input).toBe(input);
  });

  it('tells a reply from the wrong board and a frame that is not a reply', () => {
    expect((decodeStateReply(hex('02 00 35 FE FF 01 00 03 38'), 1) as CodecError).code).toBe('WRONG_ADDRESS');
    expect((decodeStateReply(hex('02 00 30 03 35'), 0) as CodecError).code).toBe('NOT_A_REPLY');
  });
});

describe('kerong-cu16 properties', () => {
  it('round-trips every unlock and state frame', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 16 }), (board, lock) => {
        expect(decodeFrame(encodeUnlock(board, lock) as Uint8Array)).toMatchObject({ type: 'unlock', board, lock });
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (board, locks, ir) => {
        expect(decodeStateReply(encodeStateReply(board, locks, ir) as Uint8Array, board)).toMatchObject({
          type: 'state',
          board,
          lockBits: locks,
          irBits: ir,
        });
      }),
    );
  });

  it('never throws on random bytes: a frame or a CodecError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), (bytes) => {
        const out = decodeFrame(bytes);
        if (out instanceof CodecError) expect(typeof out.code).toBe('string');
        else expect(out.hex).toBe(toHex(bytes));
        const split = splitFrames(bytes);
        const total = split.frames.concat(split.dropped, [split.rest]).reduce((n, f) => n + f.length, 0);
        expect(total).toBe(bytes.length);
      }),
    );
  });

  it('checksum is the low byte of the sum', () => {
    expect(checksum(hex('02 00 35 FE FF 01 00 03'))).toBe(0x38);
  });
});

function runFraming(chunks: Uint8Array[], maxBytes?: number): { frames: string[]; garbage: string[]; overflow: number } {
  const framing = new KerongFraming({ maxBytes });
  const frames: string[] = [];
  const garbage: string[] = [];
  let overflow = 0;
  framing.on('data', (f: Buffer) => frames.push(toHex(f)));
  framing.on('garbage', (g: Buffer) => garbage.push(toHex(g)));
  framing.on('overflow', () => overflow++);
  for (const c of chunks) framing.write(Buffer.from(c));
  return { frames, garbage, overflow };
}

describe('KerongFraming', () => {
  it('cuts replies whose data bytes contain 02 and 03', () => {
    const reply = encodeStateReply(3, 0x0302, 0x0203) as Uint8Array;
    expect(runFraming([reply]).frames).toEqual([toHex(reply)]);
  });

  it('resynchronises after garbage, including a stray 02', () => {
    const { frames, garbage } = runFraming([hex('FF 02 00 30 AA 02 00 35 FE FF 01 00 03 38 00 02 14 31 03 4A')]);
    expect(frames).toEqual(['02 00 35 FE FF 01 00 03 38', '02 14 31 03 4A']);
    expect(garbage).toEqual(['FF 02 00 30 AA', '00']);
  });

  it('passes a frame with a bad checksum on, for the decoder to refuse', () => {
    expect(runFraming([hex('02 00 30 03 99 02 00 30 03 35')]).frames).toEqual(['02 00 30 03 99', '02 00 30 03 35']);
  });

  it('emits the same frames however the stream is chunked', () => {
    const frameArb = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 16 })).map(([b, l]) => encodeUnlock(b, l) as Uint8Array),
      fc
        .tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
        .map(([b, l, i]) => encodeStateReply(b, l, i) as Uint8Array),
    );
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }), (list, cuts) => {
        const all = Buffer.concat(list.map((f) => Buffer.from(f)));
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (let k = 0; at < all.length; k++) {
          const n = cuts[k % cuts.length];
          chunks.push(all.subarray(at, at + n));
          at += n;
        }
        expect(runFraming(chunks).frames).toEqual(list.map((f) => toHex(f)));
      }),
    );
  });

  it('never holds more than its cap', () => {
    const { frames, overflow } = runFraming([hex('02 00 35 FE FF 01')], 4);
    expect(frames).toEqual([]);
    expect(overflow).toBe(1);
  });
});
