#!/usr/bin/env node
/**
 * courier-gw: the top-level command line, the one place that brings the gateway runtime and
 * the simulators together (neither imports it; the simulators load only for their own
 * commands). Unknown commands and flags exit with code 2, like an invalid config; a command
 * that ran and failed exits with 1. Each command loads what it needs when it runs (a
 * dynamic import), so `--help`, `--version` and `hash-password` load nothing of the
 * runtime and `start` loads neither the simulators nor the image decoder.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { VERSION } from '../gateway/version.js';

function portArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

/** The Authorization header of an operator API token (the option, else $CG_API_TOKEN). */
function tokenHeader(token: string | undefined): Record<string, string> {
  const t = token ?? process.env.CG_API_TOKEN;
  return t ? { authorization: `Bearer ${t}` } : {};
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function buildCli(): Command {
  const program = new Command('courier-gw')
    .description('Edge gateway for parcel couriers: scanners, scales, GPS and lockers on one MQTT bus')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('start')
    .description('run the gateway (broker, devices, validation, journal, sync, HTTP)')
    .option('-c, --config <file>', 'config file (YAML or JSON); default $COURIER_GW_CONFIG or built-in defaults')
    .option('--mqtt-port <port>', 'MQTT TCP port', portArg)
    .option('--ws-port <port>', 'MQTT WebSocket port', portArg)
    .option('--http-port <port>', 'HTTP port (/healthz, /metrics, dashboard)', portArg)
    .option('--data-dir <dir>', 'data folder (journal, state)')
    .option('--host <host>', 'address to listen on')
    .action(async (opts: { config?: string; mqttPort?: number; wsPort?: number; httpPort?: number; dataDir?: string; host?: string }) => {
      const { runStart } = await import('./start.js');
      await runStart(opts);
    });

  program
    .command('hash-password')
    .description('read a password on stdin, print the hash to put in the config')
    .action(async () => {
      const password = (await readStdin()).replace(/\r?\n$/, '');
      if (!password) throw new InvalidArgumentError('no password on stdin');
      const { hashPassword } = await import('../core/passwords.js');
      process.stdout.write(`${await hashPassword(password)}\n`);
    });

  program
    .command('decode')
    .description('decode device bytes or text and print the reading as JSON')
    .argument('<codec>', 'the codec (its help lists them)')
    .argument('<input...>', 'hex (spaced or not), text (\\r \\n \\xNN escapes), or a file path, as the codec takes')
    .action(async (codec: string, input: string[]) => {
      const { runDecode } = await import('../gateway/decode.js');
      const { output, ok } = await runDecode(codec, input.join(' '));
      process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
      if (!ok) process.exitCode = 1;
    });

  program
    .command('devices')
    .description('list the serial ports, HID devices and BLE scales this machine can see')
    .option('--ble-seconds <n>', 'how long to scan for BLE scales', (v) => Number(v), 4)
    .action(async (opts: { bleSeconds: number }) => {
      const { listVisibleDevices } = await import('../gateway/visible-devices.js');
      process.stdout.write(`${JSON.stringify(await listVisibleDevices(opts.bleSeconds * 1000), null, 2)}\n`);
    });

  program
    .command('status')
    .description("print a running gateway's health")
    .option('--url <url>', 'the gateway HTTP address', 'http://127.0.0.1:8080')
    .option('--token <token>', 'an operator API token (http.apiTokens); without one only the status shows; default $CG_API_TOKEN')
    .action(async (opts: { url: string; token?: string }) => {
      try {
        const res = await fetch(new URL('/healthz', opts.url), { headers: tokenHeader(opts.token), signal: AbortSignal.timeout(5000) });
        process.stdout.write(`${JSON.stringify(await res.json(), null, 2)}\n`);
        if (!res.ok) process.exitCode = 1;
      } catch (err) {
        process.stderr.write(`courier-gw: no gateway answering at ${opts.url}: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });

  const rules = program.command('rules').description('check and try rule sets');
  rules
    .command('test')
    .description('run one scan+weight event through a rule set and show the verdict and which rules fired, with their facts')
    .requiredOption('--rules <dir>', 'the rule-set folder')
    .requiredOption('--event <file>', 'the event (JSON: kit, scan, weight, tasks, position, ...)')
    .action(async (opts: { rules: string; event: string }) => {
      const { rulesTest } = await import('../rules/cli.js');
      const result = await rulesTest({ rulesDir: opts.rules, eventFile: opts.event });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
  rules
    .command('check')
    .description("validate a rule set and run its fixtures (exit 1 on a failure)")
    .argument('<dir>', 'the rule-set folder')
    .action(async (dir: string) => {
      const { rulesCheck } = await import('../rules/cli.js');
      const result = await rulesCheck(dir);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (!result.ok) process.exitCode = 1;
    });

  program
    .command('dispatch-sim')
    .description('run the reference dispatch service (HTTP API, downlink, admin API, faults; MQTT side with --mqtt-url)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText('after', '\n' + '(see: courier-gw dispatch-sim --help)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { runDispatchSimCli, dispatchSimUsage } = await import('../simulators/dispatch/index.js');
      if (cmd.args.includes('--help') || cmd.args.includes('-h')) {
        process.stdout.write(`${dispatchSimUsage}\n`);
        return;
      }
      let sim;
      try {
        const { createLogger } = await import('../gateway/logger.js');
        sim = await runDispatchSimCli(cmd.args, createLogger('info'));
      } catch (err) {
        if (err instanceof Error && /--|unknown|option/i.test(err.message)) throw new InvalidArgumentError(err.message);
        throw err;
      }
      process.stdout.write(`dispatch-sim listening on ${sim.url}\n`);
    });

  const locker = program.command('locker').description('locker banks of a running gateway');
  locker
    .command('status')
    .description('compartments, doors and alarms of a locker bank')
    .argument('<id>', 'the bank device id')
    .option('--url <url>', 'the gateway HTTP address', 'http://127.0.0.1:8080')
    .option('--token <token>', 'an operator API token (http.apiTokens); default $CG_API_TOKEN')
    .action(async (id: string, opts: { url: string; token?: string }) => {
      const res = await fetch(new URL(`/status/devices/${encodeURIComponent(id)}`, opts.url), { headers: tokenHeader(opts.token), signal: AbortSignal.timeout(5000) });
      const body = await res.json();
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      if (!res.ok) process.exitCode = 1;
    });

  program
    .command('report')
    .description("the day's figures from the journal on disk: on-time pickups, first-attempt success, exceptions by reason, ETA error against a naive baseline, pieces per stop, customer feedback")
    .option('--day <day>', 'the day, YYYY-MM-DD (UTC); default today', (v) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) throw new InvalidArgumentError('expected a day YYYY-MM-DD');
      return v;
    })
    .option('--html <file>', 'also write an HTML page with charts (no network needed to view it)')
    .option('--data-dir <dir>', "the gateway's data folder (holding journal/)", './data')
    .option('--json', 'print the figures as JSON instead of a table')
    .option('--baseline-kmh <n>', "the naive baseline's constant speed", (v) => {
      const n = Number(v);
      if (!(n > 0 && n < 300)) throw new InvalidArgumentError('expected a speed in km/h (0-300)');
      return n;
    })
    .action(async (opts: { day?: string; html?: string; dataDir: string; json?: boolean; baselineKmh?: number }) => {
      const { runReport } = await import('./report.js');
      await runReport(opts);
    });

  const sim = program.command('sim').description('device simulators and scenarios');
  sim
    .command('devices')
    .description('start simulated devices (serial on pseudo-terminals, HID/BLE over the simulator transport) and print their gateway config')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_opts: unknown, cmd: Command) => {
      const { runSimCli, simDevicesUsage } = await import('../simulators/devices/index.js');
      if (cmd.args.includes('--help') || cmd.args.includes('-h')) {
        process.stdout.write(`${simDevicesUsage}\n`);
        return;
      }
      try {
        await runSimCli(cmd.args);
      } catch (err) {
        if (err instanceof Error && (err.name === 'SimSpecError' || /--|flag|option/i.test(err.message))) throw new InvalidArgumentError(err.message);
        throw err;
      }
    });
  sim
    .command('fleet')
    .description('N simulated gateways in this process (a real journal and MQTT bridge each) syncing to a broker cluster; prints a report')
    .requiredOption('--gateways <n>', 'how many gateways', (v) => Number(v))
    .requiredOption('--rate <r>', 'records a second per gateway', (v) => Number(v))
    .requiredOption('--brokers <urls>', 'the MQTT URLs of the cluster nodes, comma-separated')
    .option('--duration <s>', 'seconds to run (default: until Ctrl-C)', (v) => Number(v))
    .option('--nats <urls>', 'also run the dispatch workers here, on these NATS URLs of the cluster')
    .option('--workers <n>', 'dispatch workers with --nats (default 3)', (v) => Number(v))
    .option('--dir <folder>', 'the gateways\' journals (default: a temp folder, removed at the end)')
    .action(async (opts: { gateways: number; rate: number; brokers: string; duration?: number; nats?: string; workers?: number; dir?: string }) => {
      const { runFleetCli } = await import('./sim-fleet.js');
      const { createLogger } = await import('../gateway/logger.js');
      try {
        process.exitCode = await runFleetCli(opts, createLogger('warn'));
      } catch (err) {
        if (err instanceof Error && /^--/.test(err.message)) throw new InvalidArgumentError(err.message);
        throw err;
      }
    });
  sim
    .command('scenario')
    .description('run a scenario (a shipped name such as van-day, or a YAML file) against a gateway and the reference dispatch')
    .argument('<scenario>', 'van-day | locker-bank | offline-shift | bad-devices | a file')
    .option('--speed <n>', 'simulated seconds per real second', (v) => Number(v))
    .option('--keep', 'keep the work folder (config, data, gateway log)')
    .action(async (name: string, opts: { speed?: number; keep?: boolean }) => {
      const { runScenarioCli } = await import('../simulators/cli.js');
      process.exitCode = await runScenarioCli(name, opts);
    });

  program
    .command('demo')
    .description('the reference dispatch, a gateway and a simulated van running the van-day scenario fast, with a summary')
    .option('--speed <n>', 'simulated seconds per real second', (v) => Number(v))
    .option('--keep', 'keep the work folder')
    .action(async (opts: { speed?: number; keep?: boolean }) => {
      const { runScenarioCli } = await import('../simulators/cli.js');
      process.exitCode = await runScenarioCli('van-day', { ...opts, demo: true });
    });

  // the codec list comes from the device registry: loaded only when the decode command runs or shows its help
  program.hook('preSubcommand', async (_program, sub) => {
    if (sub.name() !== 'decode') return;
    const { decoders } = await import('../devices/registry.js');
    const codec = sub.registeredArguments[0];
    if (codec) codec.description = `one of: ${decoders.map((d) => d.name).join(', ') || '(none yet)'}`;
    const { decodeHelp } = await import('../gateway/decode.js');
    sub.addHelpText('after', decodeHelp());
  });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildCli();
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    if (err instanceof Error && (err.name === 'ConfigError' || err.name === 'ScenarioError')) {
      process.stderr.write(`courier-gw: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`courier-gw: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

await main(process.argv);
