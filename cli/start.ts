/**
 * `courier-gw start`: loads the config, assembles the gateway and runs it until SIGINT or
 * SIGTERM. Loaded by courier-gw.ts only for this command, so the other commands (and
 * `--help`) never load the runtime; what this module imports statically is what every
 * start loads, whatever the config.
 */
import { loadConfig, type ConfigOverrides } from '../gateway/config.js';
import { assembleGateway } from '../gateway/assemble.js';
import { installLastResort } from '../gateway/last-resort.js';

export interface StartOptions {
  config?: string;
  mqttPort?: number;
  wsPort?: number;
  httpPort?: number;
  dataDir?: string;
  host?: string;
}

export async function runStart(opts: StartOptions): Promise<void> {
  const overrides: ConfigOverrides = { mqttPort: opts.mqttPort, wsPort: opts.wsPort, httpPort: opts.httpPort, dataDir: opts.dataDir, host: opts.host };
  const config = await loadConfig(opts.config ?? process.env.COURIER_GW_CONFIG, overrides);
  const gateway = assembleGateway(config);
  installLastResort(gateway.log);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.log.info({ signal }, 'stopping');
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
    await gateway.stop().catch(() => undefined);
    process.stderr.write(`courier-gw: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
