/**
 * A pseudo-terminal pair made by Debian's socat (`socat pty,raw,echo=0,link=A
 * pty,raw,echo=0,link=B`): the gateway opens `gatewayPath`, the simulator `devicePath`.
 * Killing socat removes both links, which is what an unplugged USB-serial adapter looks
 * like to the gateway; starting it again at the same paths is the replug.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

export interface SocatPty {
  readonly gatewayPath: string;
  readonly devicePath: string;
  /** ends socat (the links disappear) and waits for it to exit */
  close(): Promise<void>;
}

export class PtyUnavailableError extends Error {
  override readonly name = 'PtyUnavailableError';
}

/** starts socat and waits (up to timeoutMs) until both links exist */
export async function startSocatPty(gatewayPath: string, devicePath: string, timeoutMs = 5000): Promise<SocatPty> {
  // links left by a socat that was killed hard would look like a pair that is already up
  for (const p of [gatewayPath, devicePath]) rmSync(p, { force: true });
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${gatewayPath}`, `pty,raw,echo=0,link=${devicePath}`], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(gatewayPath) && existsSync(devicePath))) {
    if (spawnError) throw new PtyUnavailableError(`cannot run socat (install Debian's socat): ${spawnError.message}`);
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.exitCode === null) child.kill('SIGTERM');
      throw new PtyUnavailableError(`socat did not create ${gatewayPath} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    gatewayPath,
    devicePath,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
