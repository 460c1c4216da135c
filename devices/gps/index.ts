/** The gps family: its protocols (drivers) and its decoders (`courier-gw decode`). */
import { CodecError } from '../codec.js';
import type { DecoderDefinition, ProtocolDefinition } from '../driver.js';
import { decodeNmea } from './nmea.js';
import { nmea } from './nmea-driver.js';

export const protocols: ProtocolDefinition[] = [nmea];

/** One sentence in, one result out; several lines in, an array (errors as JSON) out. */
export function decodeNmeaText(text: string): unknown {
  const lines = text.split(/\r?\n|\r/).filter((l) => l.trim() !== '');
  if (lines.length <= 1) return decodeNmea(lines[0] ?? text);
  return lines.map((l) => {
    const r = decodeNmea(l);
    return r instanceof CodecError ? r.toJSON() : r;
  });
}

export const decoders: DecoderDefinition[] = [
  {
    name: 'nmea',
    summary: 'NMEA 0183 sentences (GGA, RMC, VTG, GSA, GNS from any talker), checksum verified',
    input: 'line',
    decode: (input) => decodeNmeaText(typeof input === 'string' ? input : Buffer.from(input).toString('latin1')),
  },
];
