import { describe, expect, it } from 'vitest';
import { CodecError, fromHex, toHex } from '../../../devices/codec.js';
import { decodeStateReply, bitOf, encodeQuery, encodeUnlock, encodeUnlockAll, encodeQueryAll, encodePulse } from '../../../devices/locker/kerong-cu16.js';
import { LockBoardLine } from '../../../firmware-stubs/locker/lock-board.js';

function bytes(value: Uint8Array | CodecError): Uint8Array {
  if (value instanceof CodecError) throw value;
  return value;
}

function state(line: LockBoardLine, board: number, now: number) {
  const reply = decodeStateReply(line.receive(bytes(encodeQuery(board)), now), board);
  if (reply instanceof CodecError) throw reply;
  return reply;
}

describe('LockBoardLine (firmware stub)', () => {
  it('answers the §6 query of board 0 with a 9-byte state reply', () => {
    const line = new LockBoardLine({ boards: [0] });
    line.setParcel(0, 1, true);
    expect(toHex(line.receive(fromHex('02 00 30 03 35') as Uint8Array, 0))).toBe('02 00 35 00 00 01 00 03 3B');
  });

  it('opens a door on unlock and the user closes it after the delay, putting a parcel in', () => {
    const line = new LockBoardLine({ boards: [1], user: { closeAfterMs: 2000, parcel: 'put' } });
    expect(line.receive(bytes(encodeUnlock(1, 3)), 1000).length).toBe(0);
    expect(line.door(1, 3)).toBe('open');
    expect(bitOf(state(line, 1, 2999).lockBits, 3)).toBe(1);
    line.tick(3000);
    expect(line.door(1, 3)).toBe('closed');
    const after = state(line, 1, 3000);
    expect(bitOf(after.lockBits, 3)).toBe(0);
    expect(bitOf(after.irBits, 3)).toBe(1);
  });

  it('keeps a door open when the user never closes it', () => {
    const line = new LockBoardLine({ boards: [0], user: { closeAfterMs: null } });
    line.receive(bytes(encodeUnlock(0, 16)), 0);
    line.tick(1e9);
    expect(line.door(0, 16)).toBe('open');
  });

  it('uses the configured lockedBit polarity', () => {
    const line = new LockBoardLine({ boards: [0], lockedBit: 1, user: { closeAfterMs: null } });
    line.receive(bytes(encodeUnlock(0, 2)), 0);
    const reply = state(line, 0, 0);
    expect(bitOf(reply.lockBits, 1)).toBe(1);
    expect(bitOf(reply.lockBits, 2)).toBe(0);
  });

  it('answers only for boards on the line and not when muted', () => {
    const line = new LockBoardLine({ boards: [0, 2] });
    expect(line.receive(bytes(encodeQuery(1)), 0).length).toBe(0);
    line.mute(2);
    expect(line.receive(bytes(encodeQuery(2)), 0).length).toBe(0);
    expect(line.receive(bytes(encodeQuery(0)), 0).length).toBe(9);
  });

  it('answers the broadcast with every board in address order', () => {
    const line = new LockBoardLine({ boards: [2, 0] });
    const reply = line.receive(encodeQueryAll(), 0);
    expect(reply.length).toBe(18);
    expect(toHex(reply.subarray(0, 2))).toBe('02 00');
    expect(toHex(reply.subarray(9, 11))).toBe('02 20');
  });

  it('opens all doors on unlock-all, answers the pulse, and frames split across writes', () => {
    const line = new LockBoardLine({ boards: [0] });
    const frame = bytes(encodeUnlockAll(0));
    line.receive(frame.subarray(0, 2), 0);
    line.receive(frame.subarray(2), 0);
    expect(line.door(0, 1)).toBe('open');
    expect(line.door(0, 16)).toBe('open');
    expect(toHex(line.receive(bytes(encodePulse(0, 300)), 0))).toBe(toHex(bytes(encodePulse(0, 300))));
    expect(line.heard.map((f) => f.type)).toEqual(['unlock-all', 'pulse']);
  });

  it('records frames it cannot decode', () => {
    const line = new LockBoardLine({ boards: [0] });
    line.receive(fromHex('02 00 30 03 99') as Uint8Array, 0);
    expect(line.errors.map((e) => e.code)).toEqual(['BAD_CHECKSUM']);
  });

  it('a forced door stays open until closed', () => {
    const line = new LockBoardLine({ boards: [0] });
    line.forceOpen(0, 4);
    line.tick(1e9);
    expect(line.door(0, 4)).toBe('open');
    line.close(0, 4);
    expect(line.door(0, 4)).toBe('closed');
  });
});
