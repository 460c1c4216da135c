/**
 * The compiled CLI as a technician meets it: a port in use is a clean message (the
 * WebSocket one too), usage errors exit 2 everywhere, every --help has the same form and
 * examples, decode takes text or hex for line protocols, hash-password prompts on a
 * terminal, status and rules check speak words on a terminal and JSON with --json, a
 * second gateway on the same data folder names the pid that holds it. Terminals are real
 * pseudo-terminals (util-linux `script`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../cli/courier-gw.js';
import { cliPath, freePort, repoRoot, run, runToEnd, type Proc } from '../helpers/process.js';

let dir: string;
const cli = (args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) => runToEnd(process.execPath, [cliPath, ...args], { ...options, timeoutMs: 30_000 });
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** the command on a pseudo-terminal; `lines` typed one by one after a pause */
function onTty(args: string[], lines: string[] = []): Promise<{ code: number | null; output: string }> {
  const typed = lines.map((l) => `sleep 0.6; printf '%s\\n' ${quote(l)}`).join('; ');
  const feed = `(${typed || 'true'}; sleep 0.5)`;
  return runToEnd('sh', ['-c', `${feed} | script -qec ${quote([process.execPath, cliPath, ...args].map(quote).join(' '))} /dev/null`], { timeoutMs: 30_000 });
}

async function gatewayConfig(name: string, ports: { mqtt: number; http: number; ws?: number | null }, dataDir = './data'): Promise<string> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(
    file,
    [`gateway: { id: ${name}, dataDir: ${dataDir} }`, `mqtt: { host: 127.0.0.1, port: ${ports.mqtt}, wsPort: ${ports.ws ?? 'null'} }`, `http: { host: 127.0.0.1, port: ${ports.http} }`].join('\n'),
  );
  return file;
}

function holdPort(port: number): Promise<net.Server> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a port in use', () => {
  it.for(['ws', 'mqtt'] as const)('%s: one clean line naming the port, exit 1, no stack', async (which) => {
    const [mqtt, http, ws] = [await freePort(), await freePort(), await freePort()];
    const busy = await holdPort(which === 'ws' ? ws : mqtt);
    try {
      const config = await gatewayConfig(`busy-${which}`, { mqtt, http, ws }, `./data-${which}`);
      const r = await cli(['start', '-c', config], { env: { NO_COLOR: '1' } });
      expect(r.code).toBe(1);
      expect(r.output).toContain(`courier-gw: ${which === 'ws' ? 'MQTT WebSocket' : 'MQTT'} port ${which === 'ws' ? ws : mqtt} on 127.0.0.1 is already in use`);
      expect(r.output).not.toMatch(/uncaughtException|at Server\.|node:net/);
    } finally {
      busy.close();
    }
  });
});

describe('usage errors exit 2 with a message', () => {
  const cases: { args: string[]; input?: string; says: RegExp }[] = [
    { args: ['rules', 'test'], says: /required option '--rules <dir>'/ },
    { args: ['rules', 'test', '--rules', 'rules/sets/pickup'], says: /required option '--event <file>'/ },
    { args: ['decode', 'bogus', '00'], says: /UNKNOWN_CODEC/ },
    { args: ['hash-password'], input: '', says: /empty password on stdin/ },
    { args: ['no-such-command'], says: /unknown command 'no-such-command'/ },
    { args: ['start', '--mqtt-port', 'x'], says: /expected a port number/ },
    { args: ['sim', 'devices'], says: /required option '--spec <file>'/ },
    { args: ['sim', 'devices', '--spec', 'x.yaml', '--dir', '/nonexistent/sims'], says: /--dir \/nonexistent\/sims: no such folder/ },
    { args: ['dispatch-sim', '--port', 'x'], says: /expected a port number/ },
    { args: ['dispatch-sim', '--bogus'], says: /unknown option '--bogus'/ },
    { args: ['init'], says: /--gateway-id is required/ },
  ];
  it.concurrent.for(cases)('courier-gw $args', async (c, { expect }) => {
    const r = await cli(c.args, { input: c.input ?? '' });
    expect(r.output).toMatch(c.says);
    expect(r.code).toBe(2);
  });
});

/** every command and subcommand path, from the CLI itself */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

describe('--help', () => {
  const paths = [[], ...commandPaths(buildCli())];
  it('covers the commands', () => {
    expect(paths.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['start', 'init', 'doctor', 'devices', 'dispatch-sim', 'sim devices', 'rules check', 'locker status']));
  });
  it.concurrent.for(paths.map((p) => ({ p, name: p.join(' ') || '(top)' })))('$name: usage, options and examples in one form', async ({ p }, { expect }) => {
    const r = await cli([...p, '--help']);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(new RegExp(`^Usage: courier-gw${p.length ? ` ${p.join(' ')}` : ''} `));
    expect(r.output).toMatch(/\nOptions:\n/);
    expect(r.output).toMatch(/\nExamples:\n {2}\$ courier-gw /);
  });
  it('dispatch-sim --help lists its flags as options', async () => {
    const r = await cli(['dispatch-sim', '--help']);
    for (const flag of ['--port <port>', '--token <token>', '--mqtt-url <url>', '--store-file <file>', '--down', '--error-rate <0..1>']) expect(r.output).toContain(flag);
  });
  it("decode --help shows each codec's input form and an example", async () => {
    const { decoders } = await import('../../devices/registry.js');
    const r = await cli(['decode', '--help']);
    const section = r.output.slice(r.output.indexOf('Codecs:'));
    for (const d of decoders) {
      const block = section.slice(section.indexOf(`\n  ${d.name} `));
      expect(block, d.name).toMatch(/^\n {2}\S+ +.+\n +input: .+\n +e\.g\. courier-gw decode /);
    }
  });
});

describe('decode: text or hex for line protocols', () => {
  it.concurrent.for([
    { codec: 'continuous-scale', text: 'ST,GS,+  1.500kg\\r\\n', grams: 1500 },
    { codec: 'mt-sics', text: 'S S     100.00 g', grams: 100 },
  ])('$codec as text and as spaced hex decode alike', async ({ codec, text, grams }, { expect }) => {
    const hex = Buffer.from(text.replace(/\\r/g, '\r').replace(/\\n/g, '\n'), 'latin1').toString('hex').match(/../g)!.join(' ');
    const [a, b] = await Promise.all([cli(['decode', codec, text]), cli(['decode', codec, hex])]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(JSON.parse(a.output)).toMatchObject({ grams, stable: true });
    expect(JSON.parse(b.output)).toEqual(JSON.parse(a.output));
  });
});

describe('on a terminal', () => {
  it('hash-password prompts twice without echo and prints the hash', async () => {
    const r = await onTty(['hash-password'], ['s3cret-pw', 's3cret-pw']);
    expect(r.code).toBe(0);
    expect(r.output).toContain('password: ');
    expect(r.output).not.toContain('s3cret-pw');
    expect(r.output).toMatch(/scrypt\$\S+/);
  });
  it('hash-password says what is wrong with an empty password', async () => {
    const r = await onTty(['hash-password'], ['']);
    expect(r.output).toContain('empty password: type one');
    expect(r.code).toBe(2);
  });
  it('rules check prints the fixture count in words; --json and a pipe get JSON', async () => {
    const sets = path.join(repoRoot, 'rules/sets/pickup');
    const [tty, json, piped] = await Promise.all([onTty(['rules', 'check', sets]), onTty(['rules', 'check', sets, '--json']), cli(['rules', 'check', sets])]);
    const m = /(\d+)\/(\d+) fixtures pass/.exec(tty.output);
    expect(m, tty.output).not.toBeNull();
    expect(m![1]).toBe(m![2]);
    expect(Number(m![1])).toBeGreaterThan(0);
    const parsed = JSON.parse(piped.output) as { ok: boolean; fixtures: unknown[] };
    expect(parsed.fixtures.length).toBe(Number(m![2]));
    expect(JSON.parse(json.output.replace(/\r/g, ''))).toMatchObject({ ok: true });
  });
});

describe('one gateway per data folder, status, locker status', () => {
  let first: Proc;
  let httpPort: number;
  beforeAll(async () => {
    httpPort = await freePort();
    const config = await gatewayConfig('lock-a', { mqtt: await freePort(), http: httpPort }, './shared-data');
    first = run(process.execPath, [cliPath, 'start', '-c', config, '--log-file', path.join(dir, 'logs', 'gateway.log')], { env: { NO_COLOR: '1' } });
    await first.waitFor(/gateway started/);
  });
  afterAll(async () => {
    first?.kill('SIGTERM');
    await first?.exited;
  });

  it('a second gateway on the same data folder refuses, naming the pid of the first', async () => {
    const config = await gatewayConfig('lock-b', { mqtt: await freePort(), http: await freePort() }, './shared-data');
    const r = await cli(['start', '-c', config], { env: { NO_COLOR: '1' } });
    expect(r.code).toBe(1);
    expect(r.output).toContain(`is in use by another gateway (pid ${first.child.pid}`);
    expect(r.output).toContain(path.join(dir, 'shared-data'));
  });

  it('--log-file writes the JSON lines to a rotated file too', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    let files: string[] = [];
    for (let i = 0; i < 50 && !files.some((f) => /^gateway\..*log$/.test(f)); i++) {
      files = await readdir(path.join(dir, 'logs')).catch(() => []);
      await new Promise((r) => setTimeout(r, 100));
    }
    const file = files.find((f) => /^gateway\.(\d{4}-\d{2}-\d{2}\.)?1\.log$/.test(f));
    expect(file, files.join(', ')).toBeDefined();
    let text = '';
    for (let i = 0; i < 50 && !text.includes('gateway started'); i++) {
      text = await readFile(path.join(dir, 'logs', file!), 'utf8');
      await new Promise((r) => setTimeout(r, 100));
    }
    const started = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; pid: number }).find((l) => l.msg === 'gateway started');
    expect(started?.pid).toBe(first.child.pid);
  });

  it('status speaks words on a terminal, JSON with --json', async () => {
    const url = `http://127.0.0.1:${httpPort}`;
    const [tty, json] = await Promise.all([onTty(['status', '--url', url]), cli(['status', '--url', url, '--json'])]);
    expect(tty.output).toContain(`gateway at ${url}: ok`);
    expect(JSON.parse(json.output)).toMatchObject({ status: 'ok' });
  });

  it('locker status with no gateway names the URL that did not answer', async () => {
    const port = await freePort();
    const r = await cli(['locker', 'status', 'bank-1', '--url', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.output).toContain(`no gateway answering at http://127.0.0.1:${port}/status/devices/bank-1`);
  });
});
