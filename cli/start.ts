/**
 * `courier-gw start`: loads the config, assembles the gateway and runs it until SIGINT or
 * SIGTERM. Loaded by courier-gw.ts only for this command, so the other commands (and
 * `--help`) never load the runtime; what this module imports statically is what every
 * start loads, whatever the config. Under systemd ($NOTIFY_SOCKET) it tells the service
 * manager when it is ready and feeds the watchdog (gateway/systemd.ts, loaded only then).
 */
import { loadConfig, type ConfigOverrides } from '../gateway/config.js';
import { assembleGateway } from '../gateway/assemble.js';
import { installLastResort } from '../gateway/last-resort.js';
import { createLogger } from '../gateway/logger.js';

export interface StartOptions {
  config?: string;
  mqttPort?: number;
  wsPort?: number;
  httpPort?: number;
  dataDir?: string;
  host?: string;
  logFile?: string;
}

export async function runStart(opts: StartOptions): Promise<void> {
  const overrides: ConfigOverrides = { mqttPort: opts.mqttPort, wsPort: opts.wsPort, httpPort: opts.httpPort, dataDir: opts.dataDir, host: opts.host };
  const config = await loadConfig(opts.config ?? process.env.COURIER_GW_CONFIG, overrides);
  const log = createLogger(config.gateway.logLevel, { file: opts.logFile });
  const gateway = assembleGateway(config, { log });
  installLastResort(gateway.log);
  const systemd = process.env.NOTIFY_SOCKET ? await (await import('../gateway/systemd.js')).systemdNotifier(gateway.log) : undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.log.info({ signal }, 'stopping');
    systemd?.stopping();
    const hard = setTimeout(() => {
      gateway.log.error('shutdown took over 5 s; exiting');
      process.exit(1);
    }, 5000);
    hard.unref();
    gateway.stop().then(
      () => process.exit(0),
      (err) => {
        gateway.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  try {
    await gateway.start();
  } catch (err) {
    gateway.log.fatal({ err: (err as Error).message }, 'gateway failed to start');
    systemd?.status(`failed to start: ${(err as Error).message}`);
    await gateway.stop().catch(() => undefined);
    process.stderr.write(`courier-gw: ${(err as Error).message}\n`);
    process.exit(1);
  }
  systemd?.ready(`serving ${config.gateway.id}: MQTT ${gateway.broker.ports.mqtt}, HTTP ${gateway.http.port}`);
}
