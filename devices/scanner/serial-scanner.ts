/**
 * Serial scanners: `[prefix][AIM id][data][suffix]` per line (PROTOCOLS.md §4.3). The
 * AIM id is parsed and stripped; GS (0x1D) inside GS1 data is kept.
 */
import { CodecError } from '../codec.js';
import { ignored, makeScan, type Ignored, type ScanRead } from './scan.js';

const protocol = 'serial-scanner';

export interface SerialScannerOptions {
  /** characters the scanner sends before each code (default none) */
  prefix?: string;
  /** characters after each code (default CR LF); CR or LF alone are accepted too */
  suffix?: string;
  /** parse a leading AIM id (default true) */
  aim?: boolean;
}

/** Decodes one line as received (with or without its suffix). */
export function decodeSerialScannerLine(line: string, options: SerialScannerOptions = {}): ScanRead | Ignored | CodecError {
  const suffix = options.suffix ?? '\r\n';
  let text = line;
  if (suffix.length > 0 && text.endsWith(suffix)) text = text.slice(0, -suffix.length);
  text = text.replace(/[\r\n]+$/, '');
  const prefix = options.prefix ?? '';
  if (prefix.length > 0) {
    if (!text.startsWith(prefix)) {
      return new CodecError(protocol, 'MISSING_PREFIX', `line does not start with the configured prefix`, line);
    }
    text = text.slice(prefix.length);
  }
  if (text.length === 0) return ignored('empty');
  if (/[\r\n]/.test(text)) return new CodecError(protocol, 'MULTIPLE_LINES', 'a line break inside one code', line);
  return makeScan(text, line, { aim: options.aim ?? true });
}

export interface SerialScannerEncodeOptions {
  prefix?: string;
  suffix?: string;
  aim?: string;
}

/** One line as a serial scanner sends it (the stub uses it). */
export function encodeSerialScannerLine(code: string, options: SerialScannerEncodeOptions = {}): string {
  return (options.prefix ?? '') + (options.aim ?? '') + code + (options.suffix ?? '\r\n');
}
