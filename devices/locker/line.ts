/**
 * The half-duplex RS-485 line of a locker bank: one request at a time, each state reply
 * matched to the board that was asked, a timeout and bounded retry for state queries.
 * An unlock is written once and never retried: the door state polled afterwards tells
 * whether it opened.
 */
import { CodecError, toHex } from '../codec.js';
import type { SerialLink } from '../transports/types.js';
import { decodeFrame, encodeQuery, encodeUnlock, encodeUnlockAll, type StateReply } from './kerong-cu16.js';

export interface LockLineOptions {
  link: SerialLink;
  /** how long to wait for a state reply, per attempt; default 200 ms (a reply takes ~5 ms at 19200) */
  timeoutMs?: number;
  /** further attempts of a state query after a timeout; default 2 */
  retries?: number;
  /** quiet time after an unlock before the next request (the board drives the solenoid); default 50 ms */
  unlockGapMs?: number;
  /** bad frames, replies nobody asked for, write failures */
  onFault?: (kind: string, error: CodecError | Error) => void;
}

export type LineError = 'TIMEOUT' | 'WRITE_FAILED' | 'STOPPED' | 'BAD_ADDRESS';

export type QueryResult = { ok: true; state: StateReply; attempts: number } | { ok: false; error: LineError; attempts: number };
export type WriteResult = { ok: true; hex: string } | { ok: false; error: LineError };

interface PendingQuery {
  board: number;
  resolve(state: StateReply | undefined): void;
}

export class LockLine {
  private readonly link: SerialLink;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly unlockGapMs: number;
  private readonly onFault: (kind: string, error: CodecError | Error) => void;
  private tail: Promise<unknown> = Promise.resolve();
  private pending: PendingQuery | undefined;
  private stopped = false;
  /** ends every wait early (on stop) */
  private readonly waits = new Set<() => void>();
  private readonly onFrame = (frame: Buffer | string): void => this.handleFrame(frame);

  constructor(options: LockLineOptions) {
    this.link = options.link;
    this.timeoutMs = options.timeoutMs ?? 200;
    this.retries = options.retries ?? 2;
    this.unlockGapMs = options.unlockGapMs ?? 50;
    this.onFault = options.onFault ?? (() => undefined);
    this.link.on('frame', this.onFrame);
  }

  /** asks a board for its lock and IR bits, retrying after a timeout */
  query(board: number): Promise<QueryResult> {
    return this.enqueue(async (): Promise<QueryResult> => {
      const bytes = encodeQuery(board);
      if (bytes instanceof CodecError) return { ok: false, error: 'BAD_ADDRESS', attempts: 0 };
      for (let attempt = 1; attempt <= 1 + this.retries; attempt++) {
        if (this.stopped) return { ok: false, error: 'STOPPED', attempts: attempt - 1 };
        const reply = this.awaitReply(board);
        if (!(await this.write(bytes))) {
          this.pending?.resolve(undefined);
          return { ok: false, error: 'WRITE_FAILED', attempts: attempt };
        }
        const state = await reply;
        if (state) return { ok: true, state, attempts: attempt };
      }
      return this.stopped
        ? { ok: false, error: 'STOPPED', attempts: 1 + this.retries }
        : { ok: false, error: 'TIMEOUT', attempts: 1 + this.retries };
    }, { ok: false, error: 'STOPPED', attempts: 0 });
  }

  /** writes one unlock, exactly once (no reply comes: poll the state to see the door) */
  unlock(board: number, lock: number): Promise<WriteResult> {
    return this.writeOnce(encodeUnlock(board, lock));
  }

  unlockAll(board: number): Promise<WriteResult> {
    return this.writeOnce(encodeUnlockAll(board));
  }

  /** fails every queued request with STOPPED and detaches from the link */
  stop(): void {
    this.stopped = true;
    this.link.off('frame', this.onFrame);
    for (const end of [...this.waits]) end();
    this.pending = undefined;
  }

  private writeOnce(bytes: Uint8Array | CodecError): Promise<WriteResult> {
    return this.enqueue(async (): Promise<WriteResult> => {
      if (bytes instanceof CodecError) return { ok: false, error: 'BAD_ADDRESS' };
      if (this.stopped) return { ok: false, error: 'STOPPED' };
      if (!(await this.write(bytes))) return { ok: false, error: 'WRITE_FAILED' };
      await this.sleep(this.unlockGapMs);
      return { ok: true, hex: toHex(bytes) };
    }, { ok: false, error: 'STOPPED' });
  }

  private enqueue<T>(job: () => Promise<T>, whenStopped: T): Promise<T> {
    if (this.stopped) return Promise.resolve(whenStopped);
    const run = this.tail.then(() => (this.stopped ? whenStopped : job()));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(bytes: Uint8Array): Promise<boolean> {
    try {
      await this.link.write(bytes);
      return true;
    } catch (error) {
      this.onFault('write-failed', error instanceof Error ? error : new Error(String(error)));
      return false;
    }
  }

  /** resolves with the board's reply, or undefined after timeoutMs */
  private awaitReply(board: number): Promise<StateReply | undefined> {
    return new Promise((resolve) => {
      const finish = (state: StateReply | undefined): void => {
        clearTimeout(timer);
        this.waits.delete(end);
        if (this.pending === pending) this.pending = undefined;
        resolve(state);
      };
      const end = (): void => finish(undefined);
      const timer = setTimeout(end, this.timeoutMs);
      const pending: PendingQuery = { board, resolve: finish };
      this.waits.add(end);
      this.pending = pending;
    });
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const end = (): void => {
        clearTimeout(timer);
        this.waits.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.waits.add(end);
    });
  }

  private handleFrame(frame: Buffer | string): void {
    const bytes = typeof frame === 'string' ? Buffer.from(frame, 'latin1') : frame;
    const decoded = decodeFrame(bytes);
    if (decoded instanceof CodecError) {
      this.onFault('bad-frame', decoded);
      return;
    }
    // requests seen on the line are our own echo (adapters that hear themselves): not replies
    if (decoded.type !== 'state') return;
    if (this.pending && this.pending.board === decoded.board) {
      this.pending.resolve(decoded);
      return;
    }
    this.onFault(
      'unexpected-reply',
      new CodecError('kerong-cu16', 'UNEXPECTED_REPLY', `state of board ${decoded.board} nobody asked for`, decoded.hex),
    );
  }
}
