/** A pseudo-terminal pair made by Debian's socat: `device` is the path the gateway opens, `peer` the other end. */
import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

export interface PtyPair {
  device: string;
  peer: string;
  close(): Promise<void>;
}

export async function ptyPair(dir?: string, name = 'tty'): Promise<PtyPair> {
  const base = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'cg-pty-')));
  const device = path.join(base, `${name}-gw`);
  const peer = path.join(base, `${name}-dev`);
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${peer}`], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  while (!(existsSync(device) && existsSync(peer))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('socat did not create the pty pair (is Debian socat installed?)');
    await new Promise((r) => setTimeout(r, 20));
  }
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    device,
    peer,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
