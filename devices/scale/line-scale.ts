/**
 * A serial scale that speaks in text lines, declared as data: its codec (a pure decode of
 * one line and the encode of a reading, which the firmware stub plays), its line framing
 * and transport defaults, an optional poll command, and its self-description.
 * `defineLineScale()` makes from it the whole protocol: options schema, driver, decoder for
 * `courier-gw decode`, and what the generic stub and simulator need. Adding one is one
 * file in devices/scale/ and one line in the family's `protocols` list (docs/devices.md).
 */
import { z } from 'zod';
import { CodecError } from '../codec.js';
import { defineProtocol, type DecoderDefinition, type ProtocolDefinition } from '../driver.js';
import { serialTransportSchema, type SerialDefaults } from '../transports/serial-device.js';
import { LineScaleDriver } from './line-scale-driver.js';
import { continuousOptionsSchema } from './options.js';

/** One line decoded: grams (null when the line carries no weight, e.g. overload) and the scale's stable flag. */
export interface LineScaleReading {
  grams: number | null;
  stable: boolean;
  /** what the line says instead of a weight, when grams is null */
  condition?: 'overload' | 'underload' | 'busy';
}

export interface LineScaleParts {
  /** what a config's `protocol:` says */
  name: string;
  /** one line for docs and `courier-gw decode --help` */
  summary: string;
  /** pure: one line as received (delimiter removed) -> a reading or a typed error; never throws */
  decode(line: string): LineScaleReading | CodecError;
  /** pure: the line the scale sends for a reading (delimiter not included); the firmware stub plays it */
  encode(reading: LineScaleReading): string;
  /** a line `decode` takes, shown in docs and checked by the registry test */
  example: string;
  /** the line's end; default CR LF (a bare CR or LF also ends a line then) */
  delimiter?: string;
  /** the longest line kept; default 128 bytes */
  maxLineBytes?: number;
  /** the serial defaults of the scale; the device's config overrides each */
  serial?: SerialDefaults;
  /** a scale that answers a command instead of streaming: sent every everyMs once the port is open */
  poll?: { command: string; everyMs: number };
}

/** The resolved parts every line-scale piece (driver, stub, simulator) reads. */
export interface LineScale extends Required<Omit<LineScaleParts, 'serial' | 'poll'>> {
  serial: SerialDefaults;
  poll: { command: string; everyMs: number } | undefined;
}

export interface LineScaleDefinition extends ProtocolDefinition {
  /** the scale as data: the generic stub and simulator play any line scale from it */
  lineScale: LineScale;
  ownDecoder: DecoderDefinition;
}

export function isLineScale(p: ProtocolDefinition): p is LineScaleDefinition {
  return 'lineScale' in p;
}

export function defineLineScale(parts: LineScaleParts): LineScaleDefinition {
  const scale: LineScale = {
    delimiter: '\r\n',
    maxLineBytes: 128,
    ...parts,
    serial: parts.serial ?? {},
    poll: parts.poll,
  };
  const options = continuousOptionsSchema.extend({ transport: serialTransportSchema(scale.serial) });
  const protocol = defineProtocol({
    name: scale.name,
    kind: 'scale',
    transports: ['serial'],
    serial: scale.serial,
    summary: scale.summary,
    options,
    decoder: { name: scale.name, example: scale.example },
    playedBy: { stub: 'LineScaleStub', simulator: 'LineScaleSim' },
    driver: (ctx, o: z.output<typeof options>) => new LineScaleDriver(ctx, o, scale),
  });
  const ownDecoder: DecoderDefinition = {
    name: scale.name,
    summary: `${scale.summary}; one line ("${scale.example}")`,
    input: 'line',
    decode: (input) => decodeLine(scale, typeof input === 'string' ? input : Buffer.from(input).toString('latin1')),
  };
  return { ...protocol, lineScale: scale, ownDecoder };
}

/** decode, with whatever a decode throws turned into a typed error (a codec must not throw) */
export function decodeLine(scale: Pick<LineScale, 'name' | 'decode'>, line: string): LineScaleReading | CodecError {
  try {
    return scale.decode(line);
  } catch (error) {
    return new CodecError(scale.name, 'DECODER_THREW', `the decoder threw: ${(error as Error).message}`, line);
  }
}
