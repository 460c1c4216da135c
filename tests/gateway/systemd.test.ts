/** sd_notify to a real unix datagram socket, as systemd listens on $NOTIFY_SOCKET. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import sinon from 'sinon';
import { createSocket } from 'unix-dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemdNotifier, watchdogInterval } from '../../gateway/systemd.js';

let dir: string;
let socketPath: string;
let received: string[];
let listener: ReturnType<typeof createSocket>;
const log = pino({ level: 'silent' });

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-notify-'));
  socketPath = path.join(dir, 'notify');
  received = [];
  listener = createSocket('unix_dgram', (msg) => received.push(msg.toString()));
  listener.bind(socketPath);
});
afterEach(async () => {
  listener.close();
  await rm(dir, { recursive: true, force: true });
});

async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setImmediate(r));
  expect(pred()).toBe(true);
}

describe('sd_notify', () => {
  it('is off without NOTIFY_SOCKET, and refuses an abstract socket name', async () => {
    expect(await systemdNotifier(log, {})).toBeUndefined();
    expect(await systemdNotifier(log, { NOTIFY_SOCKET: '@/org/freedesktop/systemd1/notify' })).toBeUndefined();
  });

  it('says READY=1 with a status, then STOPPING=1', async () => {
    const n = (await systemdNotifier(log, { NOTIFY_SOCKET: socketPath }))!;
    expect(n.watchdogMs).toBeUndefined();
    n.ready('serving: mqtt 1883, http 8080');
    await until(() => received.length === 1);
    expect(received[0]).toBe('READY=1\nSTATUS=serving: mqtt 1883, http 8080');
    n.stopping();
    await until(() => received.length === 2);
    expect(received[1]).toBe('STOPPING=1');
    n.close();
  });

  it('feeds the watchdog at half WATCHDOG_USEC while the loop turns, and stops at shutdown', async () => {
    const clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const n = (await systemdNotifier(log, { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '20000000', WATCHDOG_PID: String(process.pid) }))!;
      expect(n.watchdogMs).toBe(10_000);
      n.ready();
      await until(() => received.length === 2);
      expect(received).toEqual(['READY=1', 'WATCHDOG=1']);
      clock.tick(9_999);
      await new Promise((r) => setTimeout(r, 20));
      expect(received.length).toBe(2);
      clock.tick(1);
      await until(() => received.length === 3);
      clock.tick(20_000);
      await until(() => received.length === 5);
      expect(received.slice(2)).toEqual(['WATCHDOG=1', 'WATCHDOG=1', 'WATCHDOG=1']);
      n.stopping();
      clock.tick(60_000);
      await until(() => received.length === 6);
      await new Promise((r) => setTimeout(r, 20));
      expect(received.at(-1)).toBe('STOPPING=1');
      expect(received.length).toBe(6);
      n.close();
    } finally {
      clock.restore();
    }
  });

  it("takes the watchdog only when it is this process's", () => {
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000' })).toBe(15_000);
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(process.pid + 1) })).toBeUndefined();
    expect(watchdogInterval({ WATCHDOG_USEC: 'x' })).toBeUndefined();
  });
});
