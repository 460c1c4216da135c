/**
 * The compiled gateway, started by its CLI, driven by Debian's mosquitto_pub / mosquitto_sub.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, freePort, run, runToEnd, type Proc } from '../helpers/process.js';

let dir: string;
let gw: Proc;
let mqttPort: number;
let httpPort: number;

async function hash(password: string): Promise<string> {
  const r = await runToEnd('node', [cliPath, 'hash-password'], { input: `${password}\n` });
  expect(r.code).toBe(0);
  return r.output.trim();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-interop-'));
  mqttPort = await freePort();
  httpPort = await freePort();
  const [devHash, opHash, tokenHash] = await Promise.all([hash('pw-terminal'), hash('pw-tech'), hash('tok-interop-metrics')]);
  await writeFile(
    path.join(dir, 'gateway.yaml'),
    [
      'gateway: { id: van-017, dataDir: ./data }',
      `mqtt: { host: 127.0.0.1, port: ${mqttPort}, wsPort: null }`,
      `http: { host: 127.0.0.1, port: ${httpPort}, apiTokens: [ { name: interop, tokenHash: "${tokenHash}" } ] }`,
      `operators: [ { username: tech, passwordHash: "${opHash}" } ]`,
      'kits: [ { id: van-017, courierId: c-123 } ]',
      'devices:',
      '  - { id: terminal-1, kind: terminal, kit: van-017, transport: { type: mqtt }, credentials: { passwordHash: "' + devHash + '" } }',
      '  - { id: other-device, kind: scanner, kit: van-017, transport: { type: mqtt }, credentials: { passwordHash: "' + devHash + '" } }',
    ].join('\n'),
  );
  gw = run('node', [cliPath, 'start', '--config', path.join(dir, 'gateway.yaml')], { env: { NO_COLOR: '1' } });
  await gw.waitFor(/gateway started/);
});

afterAll(async () => {
  gw?.kill('SIGTERM');
  await gw?.exited;
});

function sub(user: string, pw: string, topic: string, count: number, seconds = 3): Promise<{ code: number | null; output: string }> {
  return runToEnd('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-u', user, '-P', pw, '-t', topic, '-v', '-C', String(count), '-W', String(seconds)], { timeoutMs: (seconds + 5) * 1000 });
}

function pub(user: string | undefined, pw: string | undefined, topic: string, message: string) {
  const auth = user ? ['-u', user, '-P', pw ?? ''] : [];
  return runToEnd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), ...auth, '-t', topic, '-m', message, '-q', '1']);
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gateway with mosquitto clients', () => {
  it('/healthz answers 200', async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(res.status).toBe(200);
  });

  it("accepts a device's valid scan and shows it to an operator's cg/v1/# subscription", async () => {
    const watching = sub('tech', 'pw-tech', 'cg/v1/devices/+/events/#', 1, 5);
    await wait(300);
    const p = await pub('terminal-1', 'pw-terminal', 'cg/v1/devices/terminal-1/events/scan', '{"code":"RR123456785CN","symbology":"code128"}');
    expect(p.code).toBe(0);
    const seen = await watching;
    expect(seen.output).toContain('cg/v1/devices/terminal-1/events/scan {"code":"RR123456785CN","symbology":"code128"}');
  });

  it('refuses a wrong password and a client without credentials', async () => {
    const wrong = await pub('terminal-1', 'nope', 'cg/v1/devices/terminal-1/events/scan', '{"code":"X"}');
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toMatch(/not authori[sz]ed|bad user/i);
    const anon = await pub(undefined, undefined, 'cg/v1/devices/terminal-1/events/scan', '{"code":"X"}');
    expect(anon.code).not.toBe(0);
  });

  it("does not pass on a publish on another device's topic", async () => {
    const watching = sub('tech', 'pw-tech', 'cg/v1/devices/other-device/#', 1, 2);
    await wait(300);
    await pub('terminal-1', 'pw-terminal', 'cg/v1/devices/other-device/events/scan', '{"code":"FORGED"}');
    const seen = await watching;
    expect(seen.output).not.toContain('FORGED');
  });

  it("delivers nothing to a device subscribed to another device's commands", async () => {
    const spying = sub('terminal-1', 'pw-terminal', 'cg/v1/devices/other-device/commands/#', 1, 2);
    await wait(300);
    await pub('tech', 'pw-tech', 'cg/v1/devices/other-device/commands/feedback', '{"beep":"ok"}');
    const seen = await spying;
    expect(seen.output).not.toContain('beep');
  });

  it('answers an invalid payload on the errors topic and counts it on /metrics', async () => {
    const errors = sub('terminal-1', 'pw-terminal', 'cg/v1/devices/terminal-1/errors', 1, 5);
    await wait(300);
    await pub('terminal-1', 'pw-terminal', 'cg/v1/devices/terminal-1/events/weight', '{"stable":true}');
    const seen = await errors;
    expect(seen.output).toContain('"field":"grams"');
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: { authorization: 'Bearer tok-interop-metrics' } })).text();
    expect(metrics).toMatch(/cg_payloads_refused_total\{reason="invalid_payload"\} [1-9]/);
    expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
  });

  it('a second start on the same ports fails naming the port', async () => {
    const second = await runToEnd('node', [cliPath, 'start', '--config', path.join(dir, 'gateway.yaml'), '--data-dir', path.join(dir, 'd2')]);
    expect(second.code).toBe(1);
    expect(second.output).toContain(`port ${mqttPort}`);
  });

  it('a config with mqtt.port "abc" exits with code 2 naming mqtt.port, before opening any port', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'mqtt: { port: "abc" }\n');
    const r = await runToEnd('node', [cliPath, 'start', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.output).toContain('mqtt.port');
  });

  it('unknown commands and flags exit with code 2', async () => {
    expect((await runToEnd('node', [cliPath, 'frobnicate'])).code).toBe(2);
    expect((await runToEnd('node', [cliPath, 'start', '--no-such-flag'])).code).toBe(2);
    const v = await runToEnd('node', [cliPath, '--version']);
    expect(v.code).toBe(0);
    expect(v.output.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('stops on SIGTERM with exit code 0 within 5 s', async () => {
    const port = await freePort();
    const p = run('node', [cliPath, 'start', '--mqtt-port', String(port), '--ws-port', '0', '--http-port', '0', '--host', '127.0.0.1', '--data-dir', path.join(dir, 'd3')]);
    await p.waitFor(/gateway started/);
    const t0 = Date.now();
    p.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
