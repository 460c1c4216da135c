/** The spec file, control lines, the HTTP control endpoint and the `sim devices` CLI core. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../../gateway/config.js';
import { parseControlLine, parseSimSpec, runSimCli, SimSpecError, startControlServer, startSimulators, type Simulators } from '../../../simulators/devices/index.js';
import { fakeEndpoints } from './fakes.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the spec file', () => {
  it('fills defaults and names the path of every problem', () => {
    const spec = parseSimSpec({ devices: [{ id: 'g', protocol: 'nmea', route: [{ lat: 1, lon: 2 }] }] });
    expect(spec).toMatchObject({ kit: 'van-1', tickMs: 100, remote: { port: 0 }, devices: [{ id: 'g', speedKmh: 30, gateway: {} }] });
    let error: unknown;
    try {
      parseSimSpec({ devices: [{ id: 'a', protocol: 'mt-sics' }, { id: 'a', protocol: 'nmea', route: [] }, { id: 'c', protocol: 'fax' }] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SimSpecError);
    expect((error as SimSpecError).problems.map((p) => p.path)).toEqual(['devices[1].route', 'devices[2].protocol']);
    expect(() => parseSimSpec({ devices: [{ id: 'a', protocol: 'mt-sics' }, { id: 'a', protocol: 'mt-sics' }] })).toThrow('devices[1].id: duplicate device id "a"');
    expect(() => parseSimSpec({ devices: [{ id: 'a', protocol: 'mt-sics', lod: 5 }] })).toThrow(/devices\[0\]/);
  });
});

describe('control lines', () => {
  it('parses key=value (JSON values), a JSON object, and the short commands', () => {
    expect(parseControlLine('scale-1 load grams=1250')).toEqual({ type: 'control', id: 'scale-1', action: 'load', args: { grams: 1250 } });
    expect(parseControlLine('  locker-1 door-closes board=1 lock=3 parcel=put  ')).toEqual({
      type: 'control', id: 'locker-1', action: 'door-closes', args: { board: 1, lock: 3, parcel: 'put' },
    });
    expect(parseControlLine('scale-1 motion on=false')).toMatchObject({ args: { on: false } });
    expect(parseControlLine('wedge-1 scan {"code": "A B", "symbology": "qr"}')).toMatchObject({ args: { code: 'A B', symbology: 'qr' } });
    expect(parseControlLine('scale-1 unplug')).toEqual({ type: 'control', id: 'scale-1', action: 'unplug', args: {} });
    expect(parseControlLine('scale-1')).toEqual({ type: 'actions', id: 'scale-1' });
    expect(parseControlLine('scale-1 status')).toEqual({ type: 'status', id: 'scale-1' });
    expect(parseControlLine('list')).toEqual({ type: 'list' });
    expect(parseControlLine('# a comment')).toEqual({ type: 'empty' });
    expect(parseControlLine('scale-1 load 1250')).toEqual({ type: 'invalid', message: '"1250" is not key=value' });
    expect(parseControlLine('scale-1 load [1]')).toMatchObject({ type: 'invalid' });
  });
});

async function serialSims(): Promise<Simulators> {
  const endpoints = fakeEndpoints();
  const sims = await startSimulators(
    { dir: '/sim', tickMs: 0, devices: [{ id: 'scale-1', protocol: 'mt-sics' }, { id: 'scanner-1', protocol: 'serial-scanner' }] },
    { serialEndpoint: endpoints.make },
  );
  cleanups.push(() => sims.close());
  return sims;
}

describe('HTTP control on 127.0.0.1', () => {
  it('lists devices, describes one, runs actions and answers errors with their status', async () => {
    const sims = await serialSims();
    const control = await startControlServer(sims);
    cleanups.push(() => control.close());
    expect(control.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const list = (await (await fetch(`${control.url}/devices`)).json()) as { devices: { id: string; state: { plugged: boolean } }[] };
    expect(list.devices.map((d) => [d.id, d.state.plugged])).toEqual([['scale-1', true], ['scanner-1', true]]);
    const one = (await (await fetch(`${control.url}/devices/scale-1`)).json()) as { actions: { name: string }[] };
    expect(one.actions.map((a) => a.name)).toEqual(['unplug', 'replug', 'garbage', 'mute', 'unmute', 'load', 'motion', 'overload']);

    const post = (p: string, body?: string) => fetch(`${control.url}${p}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const ok = await post('/devices/scale-1/load', '{"grams": 900}');
    expect([ok.status, await ok.json()]).toEqual([200, { ok: true, grams: 900, settleMs: 800 }]);
    expect((await post('/devices/scale-1/load', '{"grams": "x"}')).status).toBe(400);
    expect((await post('/devices/scale-1/load', 'nope')).status).toBe(400);
    expect((await post('/devices/scale-1/fly')).status).toBe(404);
    expect((await post('/devices/nobody/unplug')).status).toBe(404);
    const unplug = await post('/devices/scanner-1/unplug');
    expect(await unplug.json()).toEqual({ ok: true, plugged: false });
    const failed = await post('/devices/scanner-1/scan', '{"code":"A1"}');
    expect([failed.status, ((await failed.json()) as { error: string }).error]).toEqual([500, 'FAILED']);
    expect((await fetch(`${control.url}/other`)).status).toBe(404);
  });
});

describe('courier-gw sim devices (CLI core)', () => {
  it('starts the devices of a spec, prints a config the gateway accepts, answers stdin commands, stops on quit', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-simcli-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const specFile = path.join(dir, 'devices.yaml');
    await writeFile(
      specFile,
      [
        'kit: van-017',
        'devices:',
        '  - id: hidscale-1',
        '    protocol: hid-pos-scale',
        '    gateway: { hotplugMs: 500 }',
        '  - id: blescale-1',
        '    protocol: ble-weight',
        '',
      ].join('\n'),
    );
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (d: Buffer) => (printed += d.toString()));
    let exitCode: number | undefined;
    const exited = new Promise<void>((resolve) => {
      void runSimCli(['--spec', specFile, '--tick-ms', '50'], { stdin, stdout, exit: (c) => ((exitCode = c), resolve()), signals: false }).then((cli) => cleanups.push(() => cli.close()));
    });
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 3000;
      while (!printed.includes(text)) {
        if (Date.now() > deadline) throw new Error(`"${text}" not printed; got:\n${printed}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await waitFor('# ---- control ----');
    expect(printed).toContain('simulated devices running: hidscale-1 (hid-pos-scale), blescale-1 (ble-weight)');
    const snippet = printed.slice(printed.indexOf('# ---- gateway config'), printed.indexOf('# ---- control'));
    const config = parseYaml(snippet) as { simTransport: string; devices: Record<string, unknown>[] };
    expect(config.simTransport).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(config.devices).toEqual([
      { id: 'hidscale-1', kind: 'scale', kit: 'van-017', protocol: 'hid-pos-scale', transport: { type: 'hid', path: 'sim:hidscale-1' }, hotplugMs: 500 },
      { id: 'blescale-1', kind: 'scale', kit: 'van-017', protocol: 'ble-weight', transport: { type: 'ble', address: '02:00:5c:00:00:02' } },
    ]);
    expect(parseConfig({ kits: [{ id: 'van-017' }], simTransport: config.simTransport, devices: config.devices }).devices).toHaveLength(2);

    stdin.write('hidscale-1 load grams=420\nnobody unplug\nblescale-1 status\n');
    await waitFor('"ok":true,"id":"blescale-1"');
    const answers = printed.slice(printed.indexOf('quit\n') + 5).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(answers[0]).toEqual({ ok: true, grams: 420, settleMs: 800 });
    expect(answers[1]).toMatchObject({ ok: false, error: 'UNKNOWN_DEVICE' });
    expect(answers[2]).toMatchObject({ ok: true, id: 'blescale-1', protocol: 'ble-weight', advertising: true, subscribers: 0 });
    stdin.write('quit\n');
    await exited;
    expect(exitCode).toBe(0);
  });

  it('refuses a missing spec and bad flags', async () => {
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), exit: () => undefined, signals: false };
    await expect(runSimCli([], io)).rejects.toThrow('--spec is required');
    await expect(runSimCli(['--spec', 'x.yaml', '--remote-port', '70000'], io)).rejects.toThrow("--remote-port must be a port 0-65535, got '70000'");
    await expect(runSimCli(['--spec', '/nonexistent.yaml'], io)).rejects.toThrow('cannot read /nonexistent.yaml');
    await expect(runSimCli(['--bogus'], io)).rejects.toThrow();
  });
});
