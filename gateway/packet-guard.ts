/**
 * Checks on an MQTT connection's packets as they are parsed, before aedes sees them.
 * mqtt-packet's parser (which aedes uses, one per client) has no packet size limit for
 * MQTT 3.1.1 and decodes strings leniently; these two checks close the gap:
 * - a packet announcing more than `maxPacketBytes` is refused on its fixed header, so its
 *   body is never buffered;
 * - every MQTT string (topics, filters, client id, user name) must be well-formed UTF-8
 *   without NUL [MQTT-1.5.3-1, MQTT-1.5.3-2].
 * Either refusal is a parser error, on which aedes closes the connection.
 */
import { isUtf8 } from 'node:buffer';

/** The parts of mqtt-packet's parser the guard wraps (its parse states). */
interface PacketParser {
  packet: { cmd?: string; length: number };
  _pos: number;
  _list: { slice(start: number, end: number): Buffer };
  _parseLength(): boolean;
  _parseString(maybeBuffer?: boolean): string | null;
  _emitError(err: Error): void;
}

/** Room for the fixed and variable header of a PUBLISH around its payload: the longest topic (65,535 bytes), its length, a packet id. */
export const PACKET_HEADROOM_BYTES = 65_535 + 2 + 2 + 5;

/** Wraps a client's parser in place (aedes keeps it as `client._parser`). */
export function guardParser(parser: PacketParser, maxPacketBytes: number): void {
  const parseLength = parser._parseLength;
  parser._parseLength = function guardedLength(this: PacketParser): boolean {
    if (!parseLength.call(this)) return false;
    if (this.packet.length <= maxPacketBytes) return true;
    this._emitError(new Error(`${this.packet.cmd ?? 'packet'} of ${this.packet.length} bytes exceeds the limit of ${maxPacketBytes}`));
    return false;
  };
  const parseString = parser._parseString;
  parser._parseString = function guardedString(this: PacketParser, maybeBuffer?: boolean): string | null {
    const start = this._pos + 2; // after the string's two length bytes
    const value = parseString.call(this, maybeBuffer);
    if (value === null) return null;
    const raw = this._list.slice(start, this._pos);
    if (isUtf8(raw) && !raw.includes(0)) return value;
    this._emitError(new Error('an MQTT string is not well-formed UTF-8 or holds NUL'));
    return null;
  };
}
