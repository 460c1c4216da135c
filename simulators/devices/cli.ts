/**
 * `courier-gw sim devices --spec <file.yaml>`: starts the simulated devices of the file,
 * prints the gateway config for them, and takes control commands on stdin (and on HTTP
 * with --control-port). Options are parsed here so the gateway CLI only forwards argv.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { controlHelp, runControlLine, startControlServer, type ControlServer } from './control.js';
import { gatewayConfigSnippet } from './gateway-config.js';
import { startSimulators, type Simulators } from './simulators.js';

export const simDevicesUsage = `usage: courier-gw sim devices --spec <file.yaml> [--dir <folder>] [--remote-port <port>]
  [--control-port <port>] [--tick-ms <ms>] [--no-stdin]`;

export interface SimCliIo {
  stdin: Readable;
  stdout: Writable;
  /** called once the simulators are closed after quit or a signal; default process.exit */
  exit(code: number): void;
  /** close on SIGINT / SIGTERM; default true */
  signals?: boolean;
  log?: Logger;
}

export interface SimCli {
  sims: Simulators;
  control: ControlServer | undefined;
  close(): Promise<void>;
}

function port(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${flag} must be a port 0-65535, got '${v}'`);
  return n;
}

/** argv without `sim devices`; throws an Error naming the bad flag or the spec field */
export async function runSimCli(argv: readonly string[], io: SimCliIo = { stdin: process.stdin, stdout: process.stdout, exit: (c) => process.exit(c) }): Promise<SimCli> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      spec: { type: 'string' },
      dir: { type: 'string' },
      'remote-port': { type: 'string' },
      'control-port': { type: 'string' },
      'tick-ms': { type: 'string' },
      'no-stdin': { type: 'boolean' },
    },
  });
  if (!values.spec) throw new Error(`--spec is required\n${simDevicesUsage}`);
  const tickMs = values['tick-ms'] === undefined ? undefined : Number(values['tick-ms']);
  if (tickMs !== undefined && (!Number.isInteger(tickMs) || tickMs < 1)) throw new Error(`--tick-ms must be a whole number of ms >= 1`);
  const remotePort = port('remote-port', values['remote-port']);
  const controlPort = port('control-port', values['control-port']);
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(values.spec, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${values.spec}: ${(err as Error).message}`);
  }

  const sims = await startSimulators(raw, { dir: values.dir, remotePort, tickMs, log: io.log });
  const control = controlPort === undefined ? undefined : await startControlServer(sims, controlPort);
  const out = (text: string): void => void io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  out(`simulated devices running: ${sims.devices.map((d) => `${d.id} (${d.protocol})`).join(', ') || 'none'}`);
  out(`pty links in ${sims.dir}${sims.remoteUrl ? `; HID/BLE simulator transport on ${sims.remoteUrl}` : ''}${control ? `; HTTP control on ${control.url}` : ''}`);
  out('# ---- gateway config for these devices ----');
  out(gatewayConfigSnippet(sims));
  out('# ---- control ----');
  out(controlHelp);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await control?.close();
      await sims.close();
    })());
  const stop = (code: number): void => void close().then(() => io.exit(code));

  if (!values['no-stdin']) {
    const rl = createInterface({ input: io.stdin, terminal: false });
    // one command at a time, answers in order
    let queue: Promise<void> = Promise.resolve();
    rl.on('line', (line) => {
      queue = queue.then(async () => {
        if (closing) return;
        const { answer, quit } = await runControlLine(sims, line);
        if (answer !== undefined) out(JSON.stringify(answer));
        if (quit) stop(0);
      });
    });
    rl.on('close', () => void queue.then(() => (control ? undefined : stop(0))));
  }
  if (io.signals !== false) {
    process.once('SIGINT', () => stop(0));
    process.once('SIGTERM', () => stop(0));
  }
  return { sims, control, close };
}
