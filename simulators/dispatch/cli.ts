/**
 * `courier-gw dispatch-sim` options, parsed here so the gateway CLI only forwards argv:
 *   --port 8090 --host 127.0.0.1 --token T --mqtt-url mqtt://127.0.0.1:1883
 *   --mqtt-username U --mqtt-password P --downlink-file feed.json --store-file records.jsonl
 *   --down --retry-after 30 --slow-ms 500 --error-rate 0.2 --drop-connections --unauthorized
 */
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { startDispatchSim, type DispatchSim, type DispatchSimOptions } from './server.js';
import { parseFaults } from './faults.js';

export const dispatchSimUsage = `usage: courier-gw dispatch-sim [--port 8090] [--host 127.0.0.1] [--token T]
  [--mqtt-url mqtt://host:port] [--mqtt-username U] [--mqtt-password P]
  [--downlink-file feed.json] [--store-file records.jsonl]
  [--down] [--retry-after S] [--slow-ms MS] [--error-rate 0..1] [--drop-connections] [--unauthorized]`;

/** argv (without the command name) to options; throws an Error whose message names the flag */
export function dispatchSimOptionsFromArgv(argv: readonly string[]): DispatchSimOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      'mqtt-url': { type: 'string' },
      'mqtt-username': { type: 'string' },
      'mqtt-password': { type: 'string' },
      'downlink-file': { type: 'string' },
      'store-file': { type: 'string' },
      down: { type: 'boolean' },
      'retry-after': { type: 'string' },
      'slow-ms': { type: 'string' },
      'error-rate': { type: 'string' },
      'drop-connections': { type: 'boolean' },
      unauthorized: { type: 'boolean' },
    },
  });
  const num = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${flag} must be a number, got '${v}'`);
    return n;
  };
  const port = num('port', values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new Error('--port must be 0..65535');
  const rawFaults: Record<string, unknown> = {};
  if (values.down !== undefined) rawFaults.down = values.down;
  if (values['drop-connections'] !== undefined) rawFaults.dropConnections = values['drop-connections'];
  if (values.unauthorized !== undefined) rawFaults.unauthorized = values.unauthorized;
  const ra = num('retry-after', values['retry-after']);
  if (ra !== undefined) rawFaults.retryAfterSeconds = ra;
  const slow = num('slow-ms', values['slow-ms']);
  if (slow !== undefined) rawFaults.slowMs = slow;
  const er = num('error-rate', values['error-rate']);
  if (er !== undefined) rawFaults.errorRate = er;
  const faults = parseFaults(rawFaults);
  if (typeof faults === 'string') throw new Error(faults);
  return {
    port: port ?? 8090,
    host: values.host ?? '127.0.0.1',
    token: values.token,
    mqttUrl: values['mqtt-url'],
    mqttUsername: values['mqtt-username'],
    mqttPassword: values['mqtt-password'],
    downlinkFile: values['downlink-file'],
    storeFile: values['store-file'],
    faults,
  };
}

/** starts the simulator from argv and closes it on SIGINT / SIGTERM */
export async function runDispatchSimCli(argv: readonly string[], log?: Logger): Promise<DispatchSim> {
  const opts = dispatchSimOptionsFromArgv(argv);
  const sim = await startDispatchSim({ ...opts, log });
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.write(`dispatch-sim listening on ${sim.url}${opts.mqttUrl ? ` and ${opts.mqttUrl}` : ''}\n`);
  return sim;
}
