/** `courier-gw doctor` on this machine, with configs that make each check pass or fail. */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDoctor, mayReadWrite, runDoctor, whoIs, type Who } from '../../cli/doctor.js';
import { parseConfig, type Config } from '../../gateway/config.js';
import { freePort } from '../../core/ports.js';
import { lockDataDir } from '../../gateway/data-lock.js';

let dir: string;
const me: Who = { name: 'courier-gw', uid: 4242, gids: [4242] };

async function config(over: Record<string, unknown> = {}, dataDir?: string): Promise<Config> {
  const c = parseConfig({ mqtt: { host: '127.0.0.1', port: await freePort(), wsPort: null }, http: { host: '127.0.0.1', port: await freePort() }, ...over });
  c.gateway.dataDir = dataDir ?? path.join(dir, 'data');
  return c;
}
const find = (r: Awaited<ReturnType<typeof runDoctor>>, check: string, level?: string) => r.checks.filter((c) => c.check === check && (!level || c.level === level));

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-doctor-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('doctor', () => {
  it('passes a plain config on a disk folder with free ports, with a one-line summary', async () => {
    const r = await runDoctor(await config(), me);
    expect(find(r, 'data folder', 'fail')).toEqual([]);
    expect(find(r, 'ports', 'fail')).toEqual([]);
    expect(find(r, 'ports', 'ok').length).toBe(2);
    expect(r.summary).toMatch(/^doctor: /);
    expect(formatDoctor(r).split('\n').at(-1)).toBe(r.summary);
    // the clock and libraries are checked on every run (the answer depends on the machine)
    expect(find(r, 'clock').length).toBe(1);
    expect(find(r, 'libraries').length).toBe(2);
  });

  it('fails a data folder on tmpfs and says why', async () => {
    // Debian mounts /dev/shm as tmpfs
    const shmDir = await mkdtemp('/dev/shm/cg-doctor-');
    try {
      const r = await runDoctor(await config({}, shmDir), me);
      expect(find(r, 'data folder', 'fail')[0]?.message).toMatch(/tmpfs.*lost at power-off/);
      expect(r.ok).toBe(false);
      expect(r.summary).toMatch(/^doctor: \d+ problems?\b/);
    } finally {
      await rm(shmDir, { recursive: true, force: true });
    }
  });

  it('compares free space with the journal quota', async () => {
    const r = await runDoctor(await config({ journal: { quotaBytes: 2 ** 52 } }), me);
    expect(find(r, 'free space')[0]?.message).toMatch(/less than the journal quota/);
    expect(find(r, 'free space')[0]?.level).toBe('fail');
  });

  it('names a port in use by another program', async () => {
    const c = await config();
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(c.http.port, '127.0.0.1', r));
    try {
      const r = await runDoctor(c, me);
      expect(find(r, 'ports', 'fail')[0]?.message).toContain(`HTTP port ${c.http.port} on 127.0.0.1 is in use by another program`);
    } finally {
      busy.close();
    }
  });

  it('says a gateway on the data folder holds the ports, as a warning', async () => {
    const c = await config({}, path.join(dir, 'running'));
    await rm(c.gateway.dataDir, { recursive: true, force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(c.gateway.dataDir, { recursive: true });
    const lock = await lockDataDir(c.gateway.dataDir);
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(c.mqtt.port, '127.0.0.1', r));
    try {
      const r = await runDoctor(c, me);
      expect(find(r, 'ports', 'warn')[0]?.message).toContain(`MQTT port ${c.mqtt.port} is in use (by the gateway running`);
      expect(find(r, 'data folder', 'warn')[0]?.message).toContain(`pid ${process.pid}`);
    } finally {
      busy.close();
      await lock.release();
    }
  });

  it('names a configured device path that is missing, and one the user may not open with the fix', async () => {
    const tty = path.join(dir, 'ttyUSB9');
    await writeFile(tty, '');
    const { chmod, chown } = await import('node:fs/promises');
    await chmod(tty, 0o660);
    // the group of the file: root's (0) when the test runs as root, else the user's own
    await chown(tty, process.getuid!(), process.getgid!()).catch(() => undefined);
    const c = await config({
      kits: [{ id: 'van-1' }],
      devices: [
        { id: 'scale-1', kind: 'scale', kit: 'van-1', protocol: 'mt-sics', transport: { type: 'serial', path: '/dev/courier/no-such-scale' } },
        { id: 'scale-2', kind: 'scale', kit: 'van-1', protocol: 'mt-sics', transport: { type: 'serial', path: tty } },
      ],
    });
    const r = await runDoctor(c, me);
    expect(find(r, 'config')).toEqual([]);
    const devices = find(r, 'devices', 'fail').map((x) => x.message);
    expect(devices[0]).toBe('scale-1: /dev/courier/no-such-scale is not present: plug the device in, or see courier-gw devices for the paths this machine has');
    expect(devices[1]).toMatch(new RegExp(`^scale-2: permission denied on ${tty} for courier-gw \\(the device's group is \\S+\\): sudo usermod -aG \\S+ courier-gw`));
    // the same device for a user in its group is fine
    const inGroup: Who = { ...me, gids: [(await stat(tty)).gid] };
    expect(find(await runDoctor(c, inGroup), 'devices', 'ok').map((x) => x.message)).toEqual([`scale-2: ${tty} is present and courier-gw may open it`]);
  });

  it('warns of a device whose kit is not under kits, naming the field', async () => {
    const c = await config({ kits: [{ id: 'van-1' }], devices: [{ id: 'terminal-1', kind: 'terminal', kit: 'van-2', credentials: { passwordHash: 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' } }] });
    expect(find(await runDoctor(c, me), 'config', 'warn').map((x) => x.message)).toEqual(['devices[0].kit: kit "van-2" of device terminal-1 is not listed under kits: (van-1)']);
  });

  it('reads permission bits as the kernel does', () => {
    const file = { uid: 10, gid: 20, mode: 0o20660 };
    expect(mayReadWrite(file, { name: 'a', uid: 10, gids: [] })).toBe(true);
    expect(mayReadWrite(file, { name: 'b', uid: 11, gids: [20] })).toBe(true);
    expect(mayReadWrite(file, { name: 'c', uid: 11, gids: [21] })).toBe(false);
    expect(mayReadWrite({ ...file, mode: 0o20640 }, { name: 'b', uid: 11, gids: [20] })).toBe(false);
    expect(mayReadWrite(file, { name: 'root', uid: 0, gids: [0] })).toBe(true);
  });

  it('knows who runs it, and a named user through id', async () => {
    const self = await whoIs();
    expect(self.uid).toBe(process.getuid!());
    const root = await whoIs('root');
    expect(root).toMatchObject({ name: 'root', uid: 0 });
    await expect(whoIs('no-such-user-cg')).rejects.toThrow(/no user no-such-user-cg/);
  });
});
