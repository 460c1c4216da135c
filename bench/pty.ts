/** A pseudo-terminal pair from Debian's socat, for serial drivers to open in a benchmark. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface PtyPair {
  /** the path the gateway opens */
  device: string;
  /** the other end */
  peer: string;
  close(): Promise<void>;
}

export async function ptyPair(dir: string, name: string): Promise<PtyPair> {
  const device = path.join(dir, `${name}-gw`);
  const peer = path.join(dir, `${name}-dev`);
  const child = spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${peer}`], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 5000;
  while (!(existsSync(device) && existsSync(peer))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGTERM');
      throw new Error('socat did not create the pty pair (is Debian socat installed?)');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    device,
    peer,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
