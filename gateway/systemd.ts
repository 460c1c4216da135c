/**
 * The systemd service protocol (sd_notify): READY=1 once the gateway serves, WATCHDOG=1 at
 * half the unit's WatchdogSec for as long as the event loop turns (a stuck loop is killed
 * and restarted by systemd), STOPPING=1 on shutdown, STATUS= lines. Datagrams go to
 * $NOTIFY_SOCKET; Node has no unix datagram socket, so unix-dgram (an optional package,
 * loaded only when systemd asks for notifications) sends them. Nothing happens without
 * $NOTIFY_SOCKET (a start from a shell or the scenario runner).
 */
import type { Logger } from 'pino';

export interface SystemdNotifier {
  ready(status?: string): void;
  status(text: string): void;
  stopping(): void;
  /** the watchdog interval in ms, when the unit has one */
  readonly watchdogMs: number | undefined;
  close(): void;
}

/** Watchdog interval from WATCHDOG_USEC, for this process only (WATCHDOG_PID, when set, must be ours). */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 1000 / 2));
}

/**
 * The notifier of this process, or undefined when systemd did not ask (no $NOTIFY_SOCKET)
 * or cannot be told (an abstract socket name, no unix-dgram): then a warning says why.
 */
export async function systemdNotifier(log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<SystemdNotifier | undefined> {
  const socketPath = env.NOTIFY_SOCKET;
  if (!socketPath) return undefined;
  if (!socketPath.startsWith('/')) {
    log.warn({ socket: socketPath }, 'NOTIFY_SOCKET is not a file path; systemd is not told the gateway is ready (set NotifyAccess and a path socket, or Type=simple)');
    return undefined;
  }
  let socket: ReturnType<typeof import('unix-dgram').createSocket>;
  try {
    // a CommonJS module: its functions are on the default export
    const mod = await import('unix-dgram');
    socket = (mod.createSocket ?? (mod as unknown as { default: typeof mod }).default.createSocket)('unix_dgram');
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'cannot load unix-dgram: systemd is not told the gateway is ready (reinstall the package, or run the unit as Type=simple)');
    return undefined;
  }
  let failures = 0;
  socket.on('error', (err) => log.warn({ err: err.message }, 'sd_notify failed'));
  const send = (state: string) => {
    const buf = Buffer.from(state);
    socket.send(buf, 0, buf.length, socketPath, (err) => {
      // said once, not at every watchdog tick
      if (err && failures++ === 0) log.warn({ err: err.message, socket: socketPath }, 'sd_notify failed');
    });
  };
  const watchdogMs = watchdogInterval(env);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  return {
    watchdogMs,
    ready(status) {
      send(`READY=1${status ? `\nSTATUS=${status}` : ''}`);
      if (watchdogMs !== undefined && !timer) {
        send('WATCHDOG=1');
        timer = setInterval(() => send('WATCHDOG=1'), watchdogMs);
        timer.unref();
      }
    },
    status: (text) => send(`STATUS=${text}`),
    stopping() {
      if (timer) clearInterval(timer);
      timer = undefined;
      send('STOPPING=1');
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      socket.close();
    },
  };
}
