/**
 * pino: JSON lines, or pretty when stdout is a terminal; with a log file, also to that file
 * (JSON, rotated by pino-roll: daily and at 10 MB, 7 old files kept). Under systemd stdout
 * is not a terminal, so the JSON lines go to the journal. Secrets are redacted before any
 * destination sees a line.
 */
import pino, { type Logger, type LevelWithSilent, type TransportTargetOptions } from 'pino';

export interface LoggerOptions {
  pretty?: boolean;
  /** also write to this file, rotated */
  file?: string;
}

export const redact = { paths: ['password', '*.password', 'token', '*.token', 'passwordHash', '*.passwordHash', 'authorization', '*.authorization'], censor: '[redacted]' };

/**
 * the rotated file of --log-file: daily and at 10 MB, 7 old files kept (no current.log link:
 * pino-roll makes it racing its own mkdir, and a failed link ends the process)
 */
export function logFileTarget(file: string, level: LevelWithSilent): TransportTargetOptions {
  return { target: 'pino-roll', level, options: { file, frequency: 'daily', size: '10m', limit: { count: 7 }, mkdir: true } };
}

export function createLogger(level: LevelWithSilent = 'info', options: LoggerOptions | boolean = {}): Logger {
  const o: LoggerOptions = typeof options === 'boolean' ? { pretty: options } : options;
  const pretty = o.pretty ?? process.stdout.isTTY === true;
  const console: TransportTargetOptions = pretty
    ? { target: 'pino-pretty', level, options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: 1 } }
    : { target: 'pino/file', level, options: { destination: 1 } };
  if (o.file) return pino({ level, redact, base: { pid: process.pid } }, pino.transport({ targets: [console, logFileTarget(o.file, level)] }));
  if (pretty) return pino({ level, redact, transport: console });
  return pino({ level, redact, base: { pid: process.pid } });
}
