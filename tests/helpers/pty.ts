/**
 * A pseudo-terminal pair for a test (the simulators' socat pair): `device` is the path the
 * gateway opens, `peer` the other end, both in `dir` (a fresh temporary folder by default).
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSocatPty } from '../../simulators/devices/pty.js';

export interface PtyPair {
  device: string;
  peer: string;
  close(): Promise<void>;
}

export async function ptyPair(dir?: string, name = 'tty'): Promise<PtyPair> {
  const base = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'cg-pty-')));
  const pair = await startSocatPty(path.join(base, `${name}-gw`), path.join(base, `${name}-dev`));
  return { device: pair.gatewayPath, peer: pair.devicePath, close: () => pair.close() };
}
