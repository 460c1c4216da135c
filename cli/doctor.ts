/**
 * `courier-gw doctor`: checks the machine against the config and says, for each check, what
 * it found and what to do. Each check fails on its own (a check that throws is a problem
 * named after it). Exit 0 when nothing is a problem (warnings allowed), 1 otherwise.
 */
import { execFile } from 'node:child_process';
import type { Stats } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { configWarnings, type Config, type DeviceEntry } from '../gateway/config.js';
import { lockHolder } from '../gateway/data-lock.js';

export type CheckLevel = 'ok' | 'warn' | 'fail';
export interface CheckResult {
  check: string;
  level: CheckLevel;
  message: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
  summary: string;
}

/** whose access to the devices is checked: the service user, or who runs doctor */
export interface Who {
  name: string;
  uid: number;
  gids: number[];
}

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;
/** the journal's quota when the config gives none (cloud-sync/journal) */
const DEFAULT_QUOTA_BYTES = 512 * 1024 * 1024;
const MIB = 1024 * 1024;

function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 5000 }, (err, stdout, stderr) => resolve({ ok: !err, out: `${stdout}${stderr}`.trim() }));
  });
}

/** Group names by gid, from /etc/group. */
async function groupNames(): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  const text = await readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name && gid) names.set(Number(gid), name);
  }
  return names;
}

export async function whoIs(user?: string): Promise<Who> {
  if (!user) {
    const gids = process.getgroups?.() ?? [];
    const gid = process.getgid?.() ?? 0;
    return { name: os.userInfo().username, uid: process.getuid?.() ?? 0, gids: [...new Set([gid, ...gids])] };
  }
  const [uid, gids] = await Promise.all([run('id', ['-u', user]), run('id', ['-G', user])]);
  if (!uid.ok) throw new Error(`no user ${user} on this machine`);
  return { name: user, uid: Number(uid.out), gids: gids.out.split(/\s+/).map(Number) };
}

/** Whether `who` may read and write a file with this owner and mode (root may always). */
export function mayReadWrite(file: Pick<Stats, 'uid' | 'gid' | 'mode'>, who: Who): boolean {
  if (who.uid === 0) return true;
  const bits = file.uid === who.uid ? (file.mode >> 6) & 7 : who.gids.includes(file.gid) ? (file.mode >> 3) & 7 : file.mode & 7;
  return (bits & 6) === 6;
}

/** the device path a serial or HID entry opens, when it names one */
function devicePath(d: DeviceEntry): string | undefined {
  const t = d.transport as { type: string; path?: unknown };
  return (t.type === 'serial' || t.type === 'hid') && typeof t.path === 'string' ? t.path : undefined;
}

async function checkDataDir(config: Config): Promise<CheckResult[]> {
  const dir = config.gateway.dataDir;
  const out: CheckResult[] = [];
  try {
    await mkdir(dir, { recursive: true });
    const probe = path.join(dir, `.doctor-${process.pid}`);
    await writeFile(probe, 'ok');
    await rm(probe, { force: true });
  } catch (err) {
    out.push({ check: 'data folder', level: 'fail', message: `${dir} is not writable: ${(err as Error).message}; give the gateway's user the folder (chown) or set gateway.dataDir` });
    return out;
  }
  const fs = await statfs(dir);
  if (fs.type === TMPFS_MAGIC || fs.type === RAMFS_MAGIC) {
    out.push({ check: 'data folder', level: 'fail', message: `${dir} is on a RAM file system (tmpfs): the journal would be lost at power-off; set gateway.dataDir to a folder on disk` });
  } else {
    out.push({ check: 'data folder', level: 'ok', message: `${dir} is writable and on disk` });
  }
  const free = fs.bavail * fs.bsize;
  const quota = config.journal.quotaBytes ?? DEFAULT_QUOTA_BYTES;
  const mb = (n: number) => `${Math.round(n / MIB)} MB`;
  if (free < quota) {
    out.push({ check: 'free space', level: free < quota / 4 ? 'fail' : 'warn', message: `${mb(free)} free under ${dir}, less than the journal quota of ${mb(quota)}: free space or lower journal.quotaBytes` });
  } else {
    out.push({ check: 'free space', level: 'ok', message: `${mb(free)} free, journal quota ${mb(quota)}` });
  }
  const holder = await lockHolder(dir);
  if (holder) out.push({ check: 'data folder', level: 'warn', message: `a gateway (pid ${holder.pid}) is using ${dir} now` });
  return out;
}

function portFree(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}

async function checkPorts(config: Config, gatewayRunning: boolean): Promise<CheckResult[]> {
  const ports: [string, string, number | null | undefined][] = [
    ['MQTT', config.mqtt.host, config.mqtt.port],
    ['MQTT WebSocket', config.mqtt.host, config.mqtt.wsPort],
    ['MQTT TLS', config.mqtt.host, config.mqtt.tls?.port],
    ['HTTP', config.http.host, config.http.port],
  ];
  const out: CheckResult[] = [];
  for (const [what, host, port] of ports) {
    if (port === null || port === undefined || port === 0) continue;
    const err = await portFree(host, port);
    if (!err) out.push({ check: 'ports', level: 'ok', message: `${what} port ${port} is free` });
    else if (err === 'EADDRINUSE') {
      out.push({
        check: 'ports',
        level: gatewayRunning ? 'warn' : 'fail',
        message: gatewayRunning ? `${what} port ${port} is in use (by the gateway running on this data folder)` : `${what} port ${port} on ${host} is in use by another program: stop it (ss -ltnp 'sport = :${port}') or choose another port in the config`,
      });
    } else out.push({ check: 'ports', level: 'fail', message: `${what} port ${port} on ${host}: cannot listen (${err})` });
  }
  return out;
}

async function checkDevices(config: Config, who: Who): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const groups = await groupNames();
  for (const d of config.devices) {
    const p = devicePath(d);
    if (!p) continue;
    let st: Stats;
    try {
      st = await stat(p);
    } catch {
      out.push({ check: 'devices', level: 'fail', message: `${d.id}: ${p} is not present: plug the device in, or see courier-gw devices for the paths this machine has` });
      continue;
    }
    if (mayReadWrite(st, who)) {
      out.push({ check: 'devices', level: 'ok', message: `${d.id}: ${p} is present and ${who.name} may open it` });
    } else {
      const group = groups.get(st.gid) ?? String(st.gid);
      out.push({ check: 'devices', level: 'fail', message: `${d.id}: permission denied on ${p} for ${who.name} (the device's group is ${group}): sudo usermod -aG ${group} ${who.name}, then start the gateway again (a login shell needs a new login)` });
    }
  }
  return out;
}

async function checkLibraries(config: Config): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const uses = (type: string) => config.devices.some((d) => d.transport.type === type);
  const ldconfig = await run('ldconfig', ['-p']);
  const libusb = /libusb-1\.0\.so\.0/.test(ldconfig.out);
  out.push({
    check: 'libraries',
    level: libusb ? 'ok' : uses('hid') ? 'fail' : 'warn',
    message: libusb ? 'libusb is installed (HID scales and scanners)' : `libusb is not installed${uses('hid') ? ', and the config has HID devices' : ''}: sudo apt-get install libusb-1.0-0`,
  });
  const adapters = await readdir('/sys/class/bluetooth').catch(() => [] as string[]);
  const bluetooth = adapters.length > 0;
  out.push({
    check: 'libraries',
    level: bluetooth ? 'ok' : uses('ble') ? 'fail' : 'ok',
    message: bluetooth ? `Bluetooth adapter: ${adapters.join(', ')}` : `no Bluetooth adapter${uses('ble') ? ', and the config has BLE scales: plug in an adapter and apt-get install bluez' : ' (none needed: no BLE device configured)'}`,
  });
  return out;
}

async function checkClock(): Promise<CheckResult> {
  const td = await run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']);
  if (td.ok && (td.out === 'yes' || td.out === 'no')) {
    return td.out === 'yes'
      ? { check: 'clock', level: 'ok', message: 'the system clock is synchronised (timedatectl)' }
      : { check: 'clock', level: 'warn', message: 'the system clock is not synchronised (timedatectl): records are marked unsynced until it is or a GPS fix corrects them; sudo timedatectl set-ntp true' };
  }
  const chrony = await run('chronyc', ['-n', 'tracking']);
  if (chrony.ok) {
    const synced = /Leap status\s*:\s*Normal/.test(chrony.out);
    return { check: 'clock', level: synced ? 'ok' : 'warn', message: synced ? 'the system clock is synchronised (chrony)' : 'chrony runs but the clock is not synchronised yet' };
  }
  return { check: 'clock', level: 'warn', message: 'cannot tell whether the clock is synchronised (no timedatectl answer, no chrony); records are marked unsynced until a GPS fix corrects them' };
}

async function guarded(check: string, fn: () => Promise<CheckResult[] | CheckResult>): Promise<CheckResult[]> {
  try {
    const r = await fn();
    return Array.isArray(r) ? r : [r];
  } catch (err) {
    return [{ check, level: 'fail', message: `the check failed: ${(err as Error).message}` }];
  }
}

export async function runDoctor(config: Config, who: Who): Promise<DoctorReport> {
  const running = (await lockHolder(config.gateway.dataDir).catch(() => undefined)) !== undefined;
  const parts = await Promise.all([
    guarded('data folder', () => checkDataDir(config)),
    guarded('ports', () => checkPorts(config, running)),
    guarded('devices', () => checkDevices(config, who)),
    guarded('libraries', () => checkLibraries(config)),
    guarded('clock', () => checkClock()),
  ]);
  const checks = [...configWarnings(config).map((w): CheckResult => ({ check: 'config', level: 'warn', message: `${w.path}: ${w.message}` })), ...parts.flat()];
  if (!checks.some((c) => c.check === 'devices')) checks.push({ check: 'devices', level: 'ok', message: 'no serial or HID device path in the config' });
  const fails = checks.filter((c) => c.level === 'fail').length;
  const warns = checks.filter((c) => c.level === 'warn').length;
  const summary = fails === 0 ? `doctor: ok (${checks.length} checks${warns ? `, ${warns} warning${warns > 1 ? 's' : ''}` : ''})` : `doctor: ${fails} problem${fails > 1 ? 's' : ''}${warns ? `, ${warns} warning${warns > 1 ? 's' : ''}` : ''} in ${checks.length} checks`;
  return { ok: fails === 0, checks, summary };
}

export function formatDoctor(report: DoctorReport): string {
  const mark: Record<CheckLevel, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };
  return [...report.checks.map((c) => `${mark[c.level]}  ${c.check}: ${c.message}`), report.summary].join('\n');
}

