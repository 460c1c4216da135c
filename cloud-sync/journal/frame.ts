/**
 * On-disk framing of one journal record (pure: no I/O).
 *
 *   u32 LE payload length | u32 LE crc32(payload) | u32 LE crc32(first 8 header bytes) | payload
 *
 * The header carries its own checksum so a damaged length is told apart from a record that
 * was cut short by a crash: a cut header or a payload running past the end of the file is a
 * torn tail; a header that fails its checksum in the middle of data is corruption.
 */
import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 12;
/** no record payload may be larger than this; a bigger length is damage */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

export function encodeFrame(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  frame.writeUInt32LE(crc32(frame.subarray(0, 8)), 8);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export type FrameDecode =
  /** a whole, checked frame: `size` bytes including the header */
  | { type: 'frame'; payload: Buffer; size: number }
  /** the bytes end before the frame does: `needBytes` from `pos` are required */
  | { type: 'short'; needBytes: number }
  /** the bytes at `pos` are not a valid frame; `size` is the claimed frame size when the header is sound */
  | { type: 'bad'; reason: 'header-checksum' | 'length' | 'payload-checksum'; size?: number };

export function decodeFrame(buf: Buffer, pos: number): FrameDecode {
  const available = buf.length - pos;
  if (available < FRAME_HEADER_BYTES) return { type: 'short', needBytes: FRAME_HEADER_BYTES };
  const length = buf.readUInt32LE(pos);
  const headerCrc = buf.readUInt32LE(pos + 8);
  if (crc32(buf.subarray(pos, pos + 8)) !== headerCrc) return { type: 'bad', reason: 'header-checksum' };
  if (length === 0 || length > MAX_PAYLOAD_BYTES) return { type: 'bad', reason: 'length' };
  const size = FRAME_HEADER_BYTES + length;
  if (available < size) return { type: 'short', needBytes: size };
  const payload = buf.subarray(pos + FRAME_HEADER_BYTES, pos + size);
  if (crc32(payload) !== buf.readUInt32LE(pos + 4)) return { type: 'bad', reason: 'payload-checksum', size };
  return { type: 'frame', payload, size };
}
