/**
 * A technician's first ten minutes, from the README alone: every command this test runs is
 * a line of the README's "The first ten minutes" (checked: the test fails when a line is
 * not there), with only `courier-gw` spelled as the compiled CLI, the ports made free ones
 * and the terminal's password the one init printed. A simulated MT-SICS scale on a
 * pseudo-terminal, a terminal over MQTT (mosquitto_pub / mosquitto_sub), a verdict.
 */
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, freePort, repoRoot, run, runToEnd, type Proc } from '../helpers/process.js';

let readme: string;
let dir: string;
let mqttPort: number;
let httpPort: number;
const procs: Proc[] = [];

/** a README line run in the work folder: `courier-gw` is the compiled CLI, the ports are free ones, $PW the terminal's password */
function line(text: string, pw = ''): { command: string; args: string[] } {
  expect(readme, `README line: ${text}`).toContain(text);
  const words = (text.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1'));
  const args = words.map((w) => (w === '$PW' ? pw : w === '1883' ? String(mqttPort) : w === 'http://127.0.0.1:8080' ? `http://127.0.0.1:${httpPort}` : w === '8080' ? String(httpPort) : w));
  return args[0] === 'courier-gw' ? { command: process.execPath, args: [cliPath, ...args.slice(1)] } : { command: args[0]!, args: args.slice(1) };
}
const runLine = (text: string, pw?: string) => {
  const { command, args } = line(text, pw);
  const p = run(command, args, { cwd: dir, env: { NO_COLOR: '1' } });
  procs.push(p);
  return p;
};
const runLineToEnd = async (text: string, pw?: string) => {
  const p = runLine(text, pw);
  const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, output: p.output() };
};

beforeAll(async () => {
  readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-first-'));
  // the README's commands run from a checkout: docs/ is where they name it
  await symlink(path.join(repoRoot, 'docs'), path.join(dir, 'docs'));
  [mqttPort, httpPort] = [await freePort(), await freePort()];
});
afterAll(async () => {
  for (const p of procs.reverse()) {
    p.kill('SIGTERM');
    await p.exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe("a technician's first ten minutes", () => {
  it('sim scale, init, doctor, start, a terminal over MQTT, a verdict', async () => {
    // the mkdir / printf line runs in the work folder
    const mkLine = readme.match(/^mkdir sims && printf .*$/m)![0];
    const made = await runToEnd('sh', ['-c', `cd ${dir} && ${mkLine}`]);
    expect(made.code).toBe(0);

    const scale = runLine('courier-gw sim devices --spec sims.yaml --dir sims');
    await scale.waitFor(/# ---- control ----/);

    const init = await runLineToEnd('courier-gw init --gateway-id van-017 --kit van-017 --device scale-1=mt-sics@sims/scale-1 --mqtt-device terminal-1=terminal --tasks-file docs/examples/tasks.json --mqtt-port 1883 --http-port 8080');
    expect(init.code, init.output).toBe(0);
    const pw = /device terminal-1: password (\S+)/.exec(init.output)![1]!;

    const doctor = await runLineToEnd('courier-gw doctor -c gateway.yaml');
    expect(doctor.output).toMatch(/^ok {4}devices: scale-1: .*sims\/scale-1 is present/m);
    expect(doctor.output).toMatch(new RegExp(`^ok {4}ports: MQTT port ${mqttPort} is free`, 'm'));
    expect(doctor.output.trim().split('\n').at(-1)).toMatch(/^doctor: ok/);
    expect(doctor.code).toBe(0);

    const gateway = runLine('courier-gw start -c gateway.yaml');
    await gateway.waitFor(/gateway started/, 20_000);

    const sub = runLine('mosquitto_sub -p 1883 -u terminal-1 -P "$PW" -t cg/v1/kits/van-017/verdicts -C 2', pw);
    await new Promise((r) => setTimeout(r, 700));
    const pub = await runLineToEnd(`mosquitto_pub -p 1883 -u terminal-1 -P "$PW" -t cg/v1/devices/terminal-1/events/scan -m '{"code":"RR123456785CN"}'`, pw);
    expect(pub.code, pub.output).toBe(0);
    expect(readme).toContain('scale-1 load grams=1210');
    scale.child.stdin!.write('scale-1 load grams=1210\n');
    // the scan waits for its weight first, as the README says
    const pending = JSON.parse(await sub.waitFor(/\{[^\n]*"pending"[^\n]*\}/, 20_000)) as { message: string };
    expect(pending).toMatchObject({ type: 'pending', waitingFor: 'weight', message: 'waiting for weight' });
    expect(readme).toContain('a `pending` message, "waiting for weight"');
    const verdict = JSON.parse(await sub.waitFor(/\{[^\n]*"outcome"[^\n]*\}/, 20_000)) as { outcome: string; reasons: { code: string }[] };
    // as the README says: task T1, the scale's 1210 g, review for want of a GPS position
    expect(verdict).toMatchObject({ taskId: 'T1', weight: { deviceId: 'scale-1', grams: 1210 }, outcome: 'needs-review', reasons: [{ code: 'OUT_OF_GEOFENCE' }] });
    expect(readme).toContain('`needs-review` with `OUT_OF_GEOFENCE`');

    const status = await runLineToEnd('courier-gw status --url http://127.0.0.1:8080');
    expect(JSON.parse(status.output)).toMatchObject({ status: 'ok' });
  });
});
