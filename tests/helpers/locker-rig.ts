/**
 * A locker bank for end-to-end tests: a Kerong KR-CU16 lock board stub on a socat
 * pseudo-terminal (its user closes a door 800 ms after it opened, putting a parcel in), the
 * reference dispatch over HTTP, and an in-process gateway running the bank `bank-1` of
 * kit `branch-1` with the caller's compartments, a terminal `terminal-1` and whatever else
 * the caller configures. `close()` stops all of it and removes the work folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDispatchSim, type DispatchSim } from '../../simulators/dispatch/index.js';
import { authFetch, startTestGateway, testHash, type TestGateway } from './gateway.js';
import { ptyPair, type PtyPair } from './pty.js';
import { LockBoardPeer, PeerPort } from './device-peer.js';
import { until } from './e2e.js';

export interface LockerRigOptions {
  name: string;
  dispatchToken: string;
  compartments: { id: string; board: number; lock: number; size: string }[];
  /** more of the bank's config (e.g. doorOpenAlarmMs) */
  bank?: Record<string, unknown>;
  /** more of the terminal's config (e.g. hasScale) */
  terminal?: Record<string, unknown>;
  /** kits besides branch-1 */
  kits?: { id: string }[];
  /** more of the gateway's config (operators, ...) */
  config?: Record<string, unknown>;
}

export interface LockerRig {
  dir: string;
  pair: PtyPair;
  port: PeerPort;
  board: LockBoardPeer;
  dispatch: DispatchSim;
  t: TestGateway;
  /** waits until the gateway has applied `n` downlink items from dispatch */
  applied(n: number, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startLockerRig(o: LockerRigOptions): Promise<LockerRig> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `cg-e2e-${o.name}-`));
  const pair = await ptyPair(dir, 'rs485');
  const port = await PeerPort.open(pair.peer, 19200);
  const board = new LockBoardPeer(port, { boards: [1], lockedBit: 0, user: { closeAfterMs: 800, parcel: 'put' } });
  const dispatch = await startDispatchSim({ token: o.dispatchToken });
  const t = await startTestGateway(
    {
      gateway: { id: `gw-${o.name}` },
      ...o.config,
      kits: [{ id: 'branch-1' }, ...(o.kits ?? [])],
      devices: [
        {
          id: 'bank-1', kind: 'locker', kit: 'branch-1', protocol: 'kerong-cu16',
          transport: { type: 'serial', path: pair.device, baudRate: 19200 },
          lockedBit: 0, pollMs: 100, ...o.bank,
          compartments: o.compartments,
        },
        { id: 'terminal-1', kind: 'terminal', kit: 'branch-1', transport: { type: 'mqtt' }, credentials: { passwordHash: testHash() }, lockerBank: 'bank-1', ...o.terminal },
      ],
      dispatch: { transport: 'http', url: dispatch.url, token: o.dispatchToken },
    },
    { dataDir: dir },
  );
  return {
    dir, pair, port, board, dispatch, t,
    applied: async (n, what) => {
      await until(async () => {
        const h = (await (await authFetch(`${t.httpUrl}/healthz`)).json()) as { components: { sync: { applied?: number } } };
        return h.components.sync.applied === n;
      }, what, 10_000);
    },
    close: async () => {
      board.stop();
      await t.stop();
      await dispatch.close();
      await port.close();
      await pair.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
