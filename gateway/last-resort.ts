/**
 * The last resort: an error nothing caught (a bug, a library's throw on a timer) ends the
 * process cleanly instead of leaving it half alive. It is logged once, as one JSON line on
 * the logger and one plain line on stderr (written synchronously, so it is not lost when
 * the logger runs in a worker), and the process exits with 70 (EX_SOFTWARE) for the
 * supervisor (systemd, the demo runner) to restart it. Every record a kit heard as
 * recorded is already on disk, so nothing acknowledged is lost by exiting here.
 */
import type { Logger } from 'pino';

export const EXIT_SOFTWARE = 70;

export interface LastResortOptions {
  exit?: (code: number) => void;
  stderr?: { write(line: string): unknown };
}

export function installLastResort(log: Logger, options: LastResortOptions = {}): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const stderr = options.stderr ?? process.stderr;
  let handled = false;
  const fail = (err: unknown, origin: string) => {
    if (handled) return;
    handled = true;
    const e = err instanceof Error ? err : new Error(String(err));
    try {
      stderr.write(`courier-gw: fatal ${origin}: ${e.name}: ${e.message}\n`);
      log.fatal({ err: { name: e.name, message: e.message, stack: e.stack?.split('\n').slice(0, 12).join('\n') }, origin }, 'unhandled error; exiting for the supervisor to restart the gateway');
    } catch {
      // the logger itself failed: the stderr line above is what remains
    }
    exit(EXIT_SOFTWARE);
  };
  const onException = (err: unknown) => fail(err, 'uncaughtException');
  const onRejection = (err: unknown) => fail(err, 'unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
