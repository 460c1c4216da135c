/** The shared serial transport on real pseudo-terminals: frames, unplug and replug. */
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SerialPortLink } from '../../devices/transports/serial.js';
import { lineFraming } from '../../devices/transports/framing.js';
import { ptyPair, type PtyPair } from '../helpers/pty.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function openPeer(p: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path: p, baudRate: 9600 }, (err) => (err ? reject(err) : resolve(port)));
  });
}

function nextEvent<T>(link: SerialPortLink, name: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} within ${timeoutMs} ms`)), timeoutMs);
    link.once(name, (v: T) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

describe('SerialPortLink on a socat pty pair', () => {
  it('emits whole frames, writes, and reopens after the port disappears and comes back', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-serial-'));
    let pair: PtyPair = await ptyPair(dir, 'scale');
    const link = new SerialPortLink({ path: pair.device, baudRate: 9600, framing: lineFraming(), backoff: { minMs: 100, maxMs: 400 } });
    cleanups.push(() => link.stop());
    const opened = nextEvent(link, 'open');
    link.start();
    await opened;
    let peer = await openPeer(pair.peer);
    const frames: string[] = [];
    link.on('frame', (f: string) => frames.push(f));
    peer.write('S S     10');
    peer.write('0.00 g\r\nS I\r\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(frames).toEqual(['S S     100.00 g', 'S I']);

    const received = new Promise<string>((resolve) => peer.once('data', (d: Buffer) => resolve(d.toString())));
    await link.write('SIR\r\n');
    expect(await received).toBe('SIR\r\n');

    // unplug: the pty pair vanishes
    const closed = nextEvent(link, 'close');
    await new Promise<void>((r) => peer.close(() => r()));
    await pair.close();
    await closed;
    expect(link.isOpen).toBe(false);

    // replug at the same path
    pair = await ptyPair(dir, 'scale');
    cleanups.push(() => pair.close());
    await nextEvent(link, 'open');
    peer = await openPeer(pair.peer);
    cleanups.push(() => new Promise<void>((r) => peer.close(() => r())));
    peer.write('S S      5.00 g\r\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(frames.at(-1)).toBe('S S      5.00 g');
  });
});
