#!/usr/bin/env node
/**
 * courier-gw: the top-level command line, the one place that brings the gateway runtime and
 * the simulators together (neither imports it; the simulators load only for their own
 * commands). Usage errors (unknown commands and flags, a missing flag, an unknown codec,
 * empty input) exit with code 2, like an invalid config; a command that ran and failed
 * exits with 1. Each command loads what it needs when it runs (a dynamic import), so
 * `--help`, `--version` and `hash-password` load nothing of the runtime and `start` loads
 * neither the simulators nor the image decoder. Every command's --help ends with examples.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { VERSION } from '../gateway/version.js';
import { examples, printResult, readStdin, UsageError } from './output.js';

function portArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

function numberArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The Authorization header of an operator API token (the option, else $CG_API_TOKEN). */
function tokenHeader(token: string | undefined): Record<string, string> {
  const t = token ?? process.env.CG_API_TOKEN;
  return t ? { authorization: `Bearer ${t}` } : {};
}

/** GET a running gateway's JSON; a gateway that does not answer is named with its URL. */
async function getJson(base: string, route: string, token: string | undefined): Promise<{ ok: boolean; body: unknown }> {
  const url = new URL(route, base);
  let res: Response;
  try {
    res = await fetch(url, { headers: tokenHeader(token), signal: AbortSignal.timeout(5000) });
  } catch (err) {
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`no gateway answering at ${url.href}: ${cause?.code ?? cause?.message ?? (err as Error).message} (is it running? is --url right?)`);
  }
  const text = await res.text();
  try {
    return { ok: res.ok, body: JSON.parse(text) };
  } catch {
    throw new Error(`${url.href} answered HTTP ${res.status} without JSON: is --url a courier-gw gateway?`);
  }
}

/** The flags a commander command parsed, back as argv for a module that parses its own. */
function argvOf(cmd: Command): string[] {
  const argv: string[] = [];
  for (const o of cmd.options) {
    const value = cmd.getOptionValue(o.attributeName()) as unknown;
    if (!o.long || value === undefined || cmd.getOptionValueSource(o.attributeName()) === 'default') continue;
    if (o.negate) {
      if (value === false) argv.push(o.long);
    } else if (value === true) argv.push(o.long);
    else argv.push(o.long, String(value));
  }
  return argv;
}

/** `status --json`'s words: the status, what fails, and each check. */
function healthWords(body: unknown, url: string): string {
  const h = body as { status?: string; failed?: string[]; degraded?: string[]; checks?: Record<string, { ok: boolean; degraded?: boolean; detail?: unknown }> };
  const lines = [`gateway at ${url}: ${h.status ?? 'unknown'}`];
  if (h.failed?.length) lines.push(`failing: ${h.failed.join(', ')}`);
  if (h.degraded?.length) lines.push(`degraded: ${h.degraded.join(', ')}`);
  for (const [name, c] of Object.entries(h.checks ?? {})) {
    const detail = c.detail === undefined ? '' : `  ${JSON.stringify(c.detail).slice(0, 160)}`;
    lines.push(`  ${c.ok ? (c.degraded ? 'degraded' : 'ok') : 'FAIL'}  ${name}${detail}`);
  }
  if (!h.checks) lines.push('(details with --token or $CG_API_TOKEN)');
  return lines.join('\n');
}

export function buildCli(): Command {
  const program = new Command('courier-gw')
    .description('Edge gateway for parcel couriers: scanners, scales, GPS and lockers on one MQTT bus')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)');
  examples(program, ['courier-gw init --gateway-id van-017 --kit van-017 --device scale-1=mt-sics@/dev/ttyUSB0', 'courier-gw doctor', 'courier-gw start -c gateway.yaml', 'courier-gw start --help']);

  examples(
    program
      .command('start')
      .description('run the gateway (broker, devices, validation, journal, sync, HTTP)')
      .option('-c, --config <file>', 'config file (YAML or JSON); default $COURIER_GW_CONFIG or built-in defaults')
      .option('--mqtt-port <port>', 'MQTT TCP port', portArg)
      .option('--ws-port <port>', 'MQTT WebSocket port', portArg)
      .option('--http-port <port>', 'HTTP port (/healthz, /metrics, dashboard)', portArg)
      .option('--data-dir <dir>', 'data folder (journal, state)')
      .option('--host <host>', 'address to listen on')
      .option('--log-file <file>', 'also write the log to this file, rotated daily and at 10 MB (7 kept)')
      .action(async (opts: { config?: string; mqttPort?: number; wsPort?: number; httpPort?: number; dataDir?: string; host?: string; logFile?: string }) => {
        const { runStart } = await import('./start.js');
        await runStart(opts);
      }),
    ['courier-gw start -c /etc/courier-gw/gateway.yaml', 'courier-gw start -c gateway.yaml --http-port 8081 --data-dir ./data', 'courier-gw start -c gateway.yaml --log-file /var/log/courier-gw/gateway.log'],
  );

  examples(
    program
      .command('init')
      .description('write a working config from a few flags (prompts on a terminal for what is missing), validated before it is written')
      .option('-o, --output <file>', 'where to write it', 'gateway.yaml')
      .option('--gateway-id <id>', 'this gateway (the van or drop point)')
      .option('--kit <id>', "the courier's kit the devices belong to")
      .option('--courier <id>', "the courier's id at dispatch")
      .option('--data-dir <dir>', 'data folder (journal, state), relative to the config file', './data')
      .option('--device <id=protocol@where>', 'a driver-run device: serial path, HID path or vendor:product (repeatable)', collect, [])
      .option('--mqtt-device <id=kind>', 'a device that speaks MQTT itself, e.g. terminal-1=terminal (repeatable)', collect, [])
      .option('--device-password-env <var>', "the MQTT devices' password from this environment variable; default a new one each, printed once")
      .option('--dispatch-url <url>', 'dispatch HTTP base URL (courier-gw dispatch-sim serves at http://127.0.0.1:8090)')
      .option('--dispatch-token <token>', "the gateway's token at dispatch")
      .option('--operator <name>', 'an operator (dashboard, /metrics, locker status)')
      .option('--operator-password-env <var>', "the operator's password from this environment variable; default prompted on a terminal, else a new one printed once")
      .option('--tasks-file <file>', 'a local tasks file ({"tasks": [...]}, docs/examples/tasks.json), relative to the config file')
      .option('--mqtt-port <port>', 'MQTT TCP port', portArg)
      .option('--ws-port <port>', 'MQTT over WebSocket port (off unless given)', portArg)
      .option('--http-port <port>', 'HTTP port', portArg)
      .option('--host <host>', 'address to listen on (default every address)')
      .option('--force', 'replace an existing file')
      .action(async (opts: Record<string, unknown>) => {
        const { initCli } = await import('./init-cli.js');
        await initCli(opts);
      }),
    [
      'courier-gw init --gateway-id van-017 --kit van-017 --device scale-1=mt-sics@/dev/courier/scale-0001 --mqtt-device terminal-1=terminal --operator tech',
      'courier-gw init -o /etc/courier-gw/gateway.yaml --gateway-id van-017 --kit van-017 --dispatch-url http://127.0.0.1:8090 --dispatch-token T --force',
    ],
  );

  examples(
    program
      .command('doctor')
      .description('check this machine against the config: data folder, free space, ports, device permissions, libusb / Bluetooth, clock (exit 1 on a problem)')
      .option('-c, --config <file>', 'config file; default $COURIER_GW_CONFIG or built-in defaults')
      .option('--data-dir <dir>', 'data folder, over the config')
      .option('--user <name>', 'check device permissions for this user (the service runs as courier-gw); default who runs doctor')
      .option('--json', 'print the checks as JSON')
      .action(async (opts: { config?: string; dataDir?: string; user?: string; json?: boolean }) => {
        const [{ loadConfig }, { runDoctor, formatDoctor, whoIs }] = await Promise.all([import('../gateway/config.js'), import('./doctor.js')]);
        const config = await loadConfig(opts.config ?? process.env.COURIER_GW_CONFIG, { dataDir: opts.dataDir });
        const report = await runDoctor(config, await whoIs(opts.user));
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
        if (!report.ok) process.exitCode = 1;
      }),
    ['courier-gw doctor -c /etc/courier-gw/gateway.yaml --user courier-gw', 'courier-gw doctor --json'],
  );

  examples(
    program
      .command('hash-password')
      .description('prompt for a password (or read it on stdin) and print the hash to put in the config')
      .action(async () => {
        let password: string;
        if (process.stdin.isTTY) {
          const { promptHidden } = await import('./output.js');
          password = await promptHidden('password: ');
          if (password && (await promptHidden('again: ')) !== password) throw new UsageError('the two passwords differ; nothing printed');
        } else {
          password = (await readStdin()).replace(/\r?\n$/, '');
        }
        if (!password) throw new UsageError(process.stdin.isTTY ? 'empty password: type one, then Enter' : "empty password on stdin: pipe one in, e.g. printf '%s' 'the password' | courier-gw hash-password");
        const { hashPassword } = await import('../core/passwords.js');
        process.stdout.write(`${await hashPassword(password)}\n`);
      }),
    ['courier-gw hash-password', "printf '%s' 'pw-terminal' | courier-gw hash-password"],
  );

  examples(
    program
      .command('decode')
      .description('decode device bytes or text and print the reading as JSON (a typed error exits 1)')
      .argument('<codec>', 'the codec (listed below)')
      .argument('<input...>', 'as the codec takes it (below): hex (spaced or not), text (\\r \\n \\xNN escapes), or a file path')
      .action(async (codec: string, input: string[]) => {
        const { runDecode } = await import('../gateway/decode.js');
        const { output, ok, usage } = await runDecode(codec, input.join(' '));
        process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
        if (!ok) process.exitCode = usage ? 2 : 1;
      }),
    ["courier-gw decode mt-sics 'S S     100.00 g'", "courier-gw decode continuous-scale 'ST,GS,+  1.500kg\\r\\n'", "courier-gw decode continuous-scale '53 54 2C 47 53 2C 2B 20 20 31 2E 35 30 30 6B 67'"],
  );

  examples(
    program
      .command('devices')
      .description('list the serial ports, HID devices and BLE scales this machine can see, each with the config entry for it')
      .option('--ble-seconds <n>', 'how long to scan for BLE scales', numberArg, 4)
      .option('--kit <id>', 'the kit to put in the config entries', 'van-1')
      .option('--json', 'print JSON (also what a pipe gets)')
      .action(async (opts: { bleSeconds: number; kit: string; json?: boolean }) => {
        const [{ listVisibleDevices }, { describeVisible, visibleWords }] = await Promise.all([import('../gateway/visible-devices.js'), import('./device-names.js')]);
        const seen = await describeVisible(await listVisibleDevices(opts.bleSeconds * 1000), opts.kit);
        printResult(seen, opts, visibleWords);
      }),
    ['courier-gw devices', 'courier-gw devices --kit van-017 --ble-seconds 0 --json'],
  );

  examples(
    program
      .command('status')
      .description("print a running gateway's health (words on a terminal, JSON with --json or in a pipe)")
      .option('--url <url>', 'the gateway HTTP address', 'http://127.0.0.1:8080')
      .option('--token <token>', 'an operator API token (http.apiTokens); without one only the status shows; default $CG_API_TOKEN')
      .option('--json', 'print the JSON of /healthz')
      .action(async (opts: { url: string; token?: string; json?: boolean }) => {
        const { ok, body } = await getJson(opts.url, '/healthz', opts.token);
        printResult(body, opts, (b) => healthWords(b, opts.url));
        if (!ok) process.exitCode = 1;
      }),
    ['courier-gw status', 'CG_API_TOKEN=... courier-gw status --url http://10.0.0.2:8080 --json'],
  );

  const rules = examples(program.command('rules').description('check and try rule sets'), ['courier-gw rules check rules/sets/pickup', 'courier-gw rules test --rules rules/sets/pickup --event event.json']);
  examples(
    rules
      .command('test')
      .description('run one scan+weight event through a rule set and show the verdict and which rules fired, with their facts')
      .requiredOption('--rules <dir>', 'the rule-set folder')
      .requiredOption('--event <file>', 'the event (JSON: kit, scan, weight, tasks, position, ...; the README shows a template)')
      .action(async (opts: { rules: string; event: string }) => {
        const { rulesTest } = await import('../rules/cli.js');
        const result = await rulesTest({ rulesDir: opts.rules, eventFile: opts.event });
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      }),
    ['courier-gw rules test --rules rules/sets/pickup --event event.json'],
  );
  examples(
    rules
      .command('check')
      .description('validate a rule set and run its fixtures (exit 1 on a failure)')
      .argument('<dir>', 'the rule-set folder')
      .option('--json', 'print every fixture as JSON (also what a pipe gets)')
      .action(async (dir: string, opts: { json?: boolean }) => {
        const { rulesCheck } = await import('../rules/cli.js');
        const result = await rulesCheck(dir);
        printResult(result, opts, (r) => {
          const passed = r.fixtures.filter((f) => f.ok).length;
          const lines = [`${dir}: rule set ${r.version ?? '(no version)'}: ${passed}/${r.fixtures.length} fixtures pass${r.ok ? '' : ' - FAILED'}`];
          for (const e of r.errors) lines.push(`  error: ${e}`);
          for (const f of r.fixtures.filter((x) => !x.ok)) lines.push(`  FAIL ${f.name}: expected ${JSON.stringify(f.expected)}, got ${f.error ?? JSON.stringify(f.actual)}`);
          return lines.join('\n');
        });
        if (!result.ok) process.exitCode = 1;
      }),
    ['courier-gw rules check rules/sets/pickup', 'courier-gw rules check ./my-rules --json'],
  );

  examples(
    program
      .command('report')
      .description("the day's figures from the journal on disk: on-time pickups, first-attempt success, exceptions by reason, ETA error against a naive baseline, pieces per stop, customer feedback")
      .option('--day <day>', 'the day, YYYY-MM-DD (UTC); default today', (v) => {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) throw new UsageError('--day: expected a day YYYY-MM-DD');
        return v;
      })
      .option('--html <file>', 'also write an HTML page with charts (no network needed to view it)')
      .option('--data-dir <dir>', "the gateway's data folder (holding journal/)", './data')
      .option('--json', 'print the figures as JSON instead of a table')
      .option('--baseline-kmh <n>', "the naive baseline's constant speed", (v) => {
        const n = Number(v);
        if (!(n > 0 && n < 300)) throw new UsageError('--baseline-kmh: expected a speed in km/h (0-300)');
        return n;
      })
      .action(async (opts: { day?: string; html?: string; dataDir: string; json?: boolean; baselineKmh?: number }) => {
        const { runReport } = await import('./report.js');
        await runReport(opts);
      }),
    ['courier-gw report --data-dir /var/lib/courier-gw', 'courier-gw report --day 2026-12-03 --html day.html', 'courier-gw report --json'],
  );

  examples(
    program
      .command('dispatch-sim')
      .description('run the reference dispatch service (HTTP API at the root of its URL, downlink, admin API, faults; MQTT side with --mqtt-url)')
      .addOption(new Option('--port <port>', 'HTTP port').argParser(portArg).default(8090))
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--token <token>', 'the bearer token gateways must send')
      .option('--mqtt-url <url>', 'also serve the MQTT bridge on this broker')
      .option('--mqtt-username <user>', 'MQTT user')
      .option('--mqtt-password <password>', 'MQTT password')
      .option('--downlink-file <file>', 'downlink items to serve (JSON)')
      .option('--store-file <file>', 'keep the received records in this JSON-lines file')
      .option('--down', 'fault: answer 503 to everything')
      .option('--retry-after <s>', 'fault: Retry-After seconds with --down', numberArg)
      .option('--slow-ms <ms>', 'fault: answer this late', numberArg)
      .option('--error-rate <0..1>', 'fault: share of requests answered 500', numberArg)
      .option('--drop-connections', 'fault: drop connections without an answer')
      .option('--unauthorized', 'fault: answer 401')
      .action(async (_opts: unknown, cmd: Command) => {
        const [{ runDispatchSimCli }, { createLogger }] = await Promise.all([import('../simulators/dispatch/index.js'), import('../gateway/logger.js')]);
        try {
          await runDispatchSimCli(argvOf(cmd), createLogger('info'));
        } catch (err) {
          if (err instanceof Error && /^--/.test(err.message)) throw new UsageError(err.message);
          throw err;
        }
      }),
    ['courier-gw dispatch-sim', 'courier-gw dispatch-sim --port 8090 --token T --store-file records.jsonl', 'courier-gw dispatch-sim --down --retry-after 30'],
  );

  const locker = examples(program.command('locker').description('locker banks of a running gateway'), ['courier-gw locker status bank-1']);
  examples(
    locker
      .command('status')
      .description('compartments, doors and alarms of a locker bank')
      .argument('<id>', 'the bank device id')
      .option('--url <url>', 'the gateway HTTP address', 'http://127.0.0.1:8080')
      .option('--token <token>', 'an operator API token (http.apiTokens); default $CG_API_TOKEN')
      .action(async (id: string, opts: { url: string; token?: string }) => {
        const { ok, body } = await getJson(opts.url, `/status/devices/${encodeURIComponent(id)}`, opts.token);
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        if (!ok) process.exitCode = 1;
      }),
    ['courier-gw locker status bank-1', 'courier-gw locker status bank-1 --url http://10.0.0.2:8080 --token T'],
  );

  const sim = examples(program.command('sim').description('device simulators and scenarios'), ['courier-gw sim devices --spec sims.yaml', 'courier-gw sim scenario van-day']);
  examples(
    sim
      .command('devices')
      .description('start simulated devices (serial on pseudo-terminals, HID/BLE over the simulator transport), print their gateway config, take control commands on stdin')
      .requiredOption('--spec <file>', 'the simulator spec (YAML: kit, devices)')
      .option('--dir <folder>', 'an existing folder for the pseudo-terminal links; default a new temporary one')
      .option('--remote-port <port>', 'port of the HID/BLE simulator transport', portArg)
      .option('--control-port <port>', 'also take control commands on HTTP at this port', portArg)
      .option('--tick-ms <ms>', 'how often the simulated devices tick', numberArg)
      .option('--no-stdin', 'take no control commands on stdin')
      .action(async (opts: { dir?: string }, cmd: Command) => {
        if (opts.dir !== undefined) {
          const { stat } = await import('node:fs/promises');
          const isDir = await stat(opts.dir).then((s) => s.isDirectory(), () => false);
          if (!isDir) throw new UsageError(`--dir ${opts.dir}: no such folder (create it, or leave --dir out for a temporary one)`);
        }
        const { runSimCli } = await import('../simulators/devices/index.js');
        try {
          await runSimCli(argvOf(cmd));
        } catch (err) {
          if (err instanceof Error && (err.name === 'SimSpecError' || /^--|^cannot read /.test(err.message))) throw new UsageError(err.message);
          throw err;
        }
      }),
    ['courier-gw sim devices --spec sims.yaml', 'courier-gw sim devices --spec sims.yaml --dir /tmp/sims --control-port 8099 --no-stdin'],
  );
  examples(
    sim
      .command('fleet')
      .description('N simulated gateways in this process (a real journal and MQTT bridge each) syncing to a broker cluster; prints a report')
      .requiredOption('--gateways <n>', 'how many gateways', numberArg)
      .requiredOption('--rate <r>', 'records a second per gateway', numberArg)
      .requiredOption('--brokers <urls>', 'the MQTT URLs of the cluster nodes, comma-separated')
      .option('--duration <s>', 'seconds to run (default: until Ctrl-C)', numberArg)
      .option('--nats <urls>', 'also run the dispatch workers here, on these NATS URLs of the cluster')
      .option('--workers <n>', 'dispatch workers with --nats (default 3)', numberArg)
      .option('--dir <folder>', 'the gateways\' journals (default: a temp folder, removed at the end)')
      .action(async (opts: { gateways: number; rate: number; brokers: string; duration?: number; nats?: string; workers?: number; dir?: string }) => {
        const { runFleetCli } = await import('./sim-fleet.js');
        const { createLogger } = await import('../gateway/logger.js');
        try {
          process.exitCode = await runFleetCli(opts, createLogger('warn'));
        } catch (err) {
          if (err instanceof Error && /^--/.test(err.message)) throw new UsageError(err.message);
          throw err;
        }
      }),
    ['courier-gw sim fleet --gateways 50 --rate 1 --brokers mqtt://127.0.0.1:1883 --duration 60'],
  );
  examples(
    sim
      .command('scenario')
      .description('run a scenario (a shipped name such as van-day, or a YAML file) against a gateway and the reference dispatch')
      .argument('<scenario>', 'van-day | locker-bank | offline-shift | bad-devices | a file')
      .option('--speed <n>', 'simulated seconds per real second', numberArg)
      .option('--keep', 'keep the work folder (config, data, gateway log)')
      .action(async (name: string, opts: { speed?: number; keep?: boolean }) => {
        const { runScenarioCli } = await import('../simulators/cli.js');
        process.exitCode = await runScenarioCli(name, opts);
      }),
    ['courier-gw sim scenario van-day', 'courier-gw sim scenario ./my-day.yaml --speed 60 --keep'],
  );

  examples(
    program
      .command('demo')
      .description('the reference dispatch, a gateway and a simulated van running the van-day scenario fast, with a summary')
      .option('--speed <n>', 'simulated seconds per real second', numberArg)
      .option('--keep', 'keep the work folder')
      .option('--stay', 'keep the gateway, dispatch and the dashboard running after the summary until Ctrl-C')
      .option('--password <password>', 'the dashboard password of operator tech (default: a random one, printed)')
      .action(async (opts: { speed?: number; keep?: boolean; stay?: boolean; password?: string }) => {
        const { runScenarioCli } = await import('../simulators/cli.js');
        process.exitCode = await runScenarioCli('van-day', { ...opts, demo: true });
      }),
    ['courier-gw demo', 'courier-gw demo --speed 120 --keep', 'courier-gw demo --stay --password demo-pass'],
  );

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

/** every command and subcommand, for settings that commander does not inherit */
function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

export async function main(argv: string[]): Promise<void> {
  const program = buildCli();
  for (const c of allCommands(program)) c.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed its message; an InvalidArgumentError thrown by an action has not
      if (err.code === 'commander.invalidArgument' && !err.message.startsWith('error:')) process.stderr.write(`courier-gw: ${err.message}\n`);
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    if (err instanceof Error && (err.name === 'ConfigError' || err.name === 'ScenarioError' || err.name === 'UsageError')) {
      process.stderr.write(`courier-gw: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`courier-gw: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

/** run when this file is the program (the bin link included), not when a test imports it */
const entry = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (entry === realpathSync(fileURLToPath(import.meta.url))) await main(process.argv);
