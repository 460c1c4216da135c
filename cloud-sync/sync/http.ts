/**
 * HTTP sync: drains the outbox to dispatch in bounded batches.
 *
 *   POST {url}/gateways/{gatewayId}/records   Authorization: Bearer {token}
 *   body {"records":[...]}  ->  200 {"acked":[ids],"rejected":[{"id","reason"}]}
 *
 * Acked ids leave the outbox, rejected ones go to its dead letters, the rest are sent again.
 * 401/403 stop sending (state 'auth-failed', alarm) until authRetryMs passes or the config
 * changes; 408/429/5xx/network errors retry with full-jitter backoff, never sooner than
 * Retry-After. One request at a time; Node's fetch keeps the connection alive between them.
 *
 * Events: 'state' (LinkState, previous), 'alarm' (LinkAlarm), 'retry' ({ attempt, delayMs,
 * reason }), 'settled' ({ acked, rejected }) after each answered batch.
 */
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import type { Outbox } from '../outbox.js';
import type { RecordEnvelope } from '../journal/records.js';
import { LinkTracker, type LinkAlarm, type LinkStats, type SyncLink } from './link.js';
import { defaultBackoff, type BackoffOptions } from '../../core/backoff.js';
import { realTimers, type TimerPort } from '../../core/timers.js';
import { parseRetryAfter, retryDelayMs, Waiter } from './timing.js';

export interface HttpSyncerOptions {
  /** dispatch base URL, e.g. https://dispatch.example/api (no trailing slash needed) */
  url: string;
  gatewayId: string;
  token: string;
  outbox: Outbox;
  /** records per batch (default 500) */
  maxCount?: number;
  /** about this many bytes of JSON per batch (default 1 MiB) */
  maxBytes?: number;
  /** one request's time limit (default 30 s) */
  requestTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** a Retry-After longer than this is cut to it (default 10 min) */
  maxRetryAfterMs?: number;
  /** after 401/403, try again after this long unless reconfigured sooner (default 15 min) */
  authRetryMs?: number;
  /** with nothing to send, look at the outbox again after this long even without 'appended' (default 30 s) */
  idleRecheckMs?: number;
  timers?: TimerPort;
  random?: () => number;
  fetch?: typeof fetch;
  log?: Logger;
}

const AckBody = z.object({
  acked: z.array(z.string()),
  rejected: z.array(z.object({ id: z.string(), reason: z.string() })).default([]),
});

type PostResult =
  | { kind: 'ok'; acked: string[]; rejected: { id: string; reason: string }[] }
  | { kind: 'auth'; error: string }
  | { kind: 'too-large'; error: string }
  | { kind: 'retry'; error: string; retryAfterMs?: number };

export class HttpSyncer extends EventEmitter implements SyncLink {
  private readonly timers: TimerPort;
  private readonly random: () => number;
  private readonly doFetch: typeof fetch;
  private readonly log: Logger;
  private readonly link: LinkTracker;
  private readonly waiter: Waiter;
  private url: string;
  private token: string;
  private running = false;
  private loop: Promise<void> | undefined;
  private abort = new AbortController();
  private dirty = false;
  private authBlocked = false;
  private batchCount: number;
  private batchBytes: number;
  private readonly onAppended = (): void => {
    this.dirty = true;
    this.waiter.wake();
  };

  constructor(private readonly opts: HttpSyncerOptions) {
    super();
    this.timers = opts.timers ?? realTimers;
    this.random = opts.random ?? Math.random;
    this.doFetch = opts.fetch ?? fetch;
    this.log = (opts.log ?? pino({ level: 'silent' })).child({ component: 'sync-http' });
    this.link = new LinkTracker(this, 'http', () => this.timers.now());
    this.waiter = new Waiter(this.timers);
    this.url = opts.url.replace(/\/+$/, '');
    this.token = opts.token;
    this.batchCount = opts.maxCount ?? 500;
    this.batchBytes = opts.maxBytes ?? 1024 * 1024;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.opts.outbox.on('appended', this.onAppended);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.opts.outbox.off('appended', this.onAppended);
    this.abort.abort();
    this.waiter.cancel();
    await this.loop;
    this.link.set('idle');
  }

  /** new URL or token: an auth failure is forgotten and sending resumes at once */
  reconfigure(change: { url?: string; token?: string }): void {
    if (change.url !== undefined) this.url = change.url.replace(/\/+$/, '');
    if (change.token !== undefined) this.token = change.token;
    this.authBlocked = false;
    this.batchCount = this.opts.maxCount ?? 500;
    this.waiter.wake(true);
  }

  stats(): LinkStats {
    return this.link.snapshot();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.step();
      } catch (err) {
        // the outbox failed us (not the link): log, wait, go on
        this.log.error({ err }, 'outbox read or ack failed');
        await this.waiter.wait(this.opts.backoff?.maxMs ?? defaultBackoff.maxMs, false);
      }
    }
  }

  private async step(): Promise<void> {
    if (this.authBlocked) {
      await this.waiter.wait(this.opts.authRetryMs ?? 15 * 60_000, false);
      this.authBlocked = false;
      return;
    }
    this.dirty = false;
    const batch = await this.opts.outbox.next(this.batchCount, this.batchBytes);
    if (!this.running) return;
    if (batch.length === 0) {
      if (!this.dirty) await this.waiter.wait(this.opts.idleRecheckMs ?? 30_000, true);
      return;
    }
    const res = await this.post(batch);
    if (!this.running) return;
    switch (res.kind) {
      case 'ok':
        return this.settle(batch, res.acked, res.rejected);
      case 'auth':
        this.authBlocked = true;
        this.link.failed(res.error, 'auth-failed');
        this.alarm({ kind: 'auth', message: `dispatch refused the gateway's credentials (${res.error}); sending stopped` });
        return;
      case 'too-large':
        this.link.failed(res.error);
        this.batchCount = Math.max(1, Math.floor(batch.length / 2));
        // kept for the rest of the run (reconfigure() resets it): growing back would flap
        this.log.warn({ count: this.batchCount }, 'dispatch found the batch too large; halving it');
        return;
      case 'retry':
        return this.backoff(res.error, res.retryAfterMs);
    }
  }

  private async settle(
    batch: readonly RecordEnvelope[],
    ackedIds: string[],
    rejectedItems: { id: string; reason: string }[],
  ): Promise<void> {
    const inBatch = new Set(batch.map((r) => r.id));
    const acked = ackedIds.filter((id) => inBatch.has(id));
    const rejected = rejectedItems.filter((r) => inBatch.has(r.id));
    if (acked.length > 0) await this.opts.outbox.ack(acked);
    if (rejected.length > 0) {
      await this.opts.outbox.reject(rejected);
      this.log.warn({ count: rejected.length, first: rejected[0] }, 'dispatch rejected records');
    }
    if (acked.length + rejected.length === 0) {
      // an answer that settles nothing would make us resend the same batch in a tight loop
      return this.backoff('dispatch answered none of the batch');
    }
    this.link.answered(acked.length, rejected.length);
    this.emit('settled', { acked: acked.length, rejected: rejected.length });
  }

  private async backoff(error: string, retryAfterMs?: number): Promise<void> {
    const attempt = this.link.failed(error);
    const delayMs = retryDelayMs(
      attempt,
      this.opts.backoff ?? defaultBackoff,
      this.random,
      retryAfterMs,
      this.opts.maxRetryAfterMs ?? 10 * 60_000,
    );
    this.log.warn({ attempt, delayMs, error }, 'sync failed, retrying');
    this.emit('retry', { attempt, delayMs, reason: error });
    await this.waiter.wait(delayMs, false);
  }

  private async post(batch: readonly RecordEnvelope[]): Promise<PostResult> {
    const url = `${this.url}/gateways/${encodeURIComponent(this.opts.gatewayId)}/records`;
    this.link.sent(batch.length);
    let res: Response;
    try {
      res = await this.doFetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ records: batch }),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.requestTimeoutMs ?? 30_000)]),
      });
    } catch (err) {
      return { kind: 'retry', error: describeFetchError(err) };
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      return { kind: 'retry', error: describeFetchError(err) };
    }
    const status = res.status;
    if (status === 200) {
      let parsed: z.infer<typeof AckBody>;
      try {
        parsed = AckBody.parse(JSON.parse(text));
      } catch {
        return { kind: 'retry', error: 'HTTP 200 with a body that is not {acked, rejected}' };
      }
      return { kind: 'ok', acked: parsed.acked, rejected: parsed.rejected };
    }
    if (status === 401 || status === 403) return { kind: 'auth', error: `HTTP ${status}` };
    if (status === 413) return { kind: 'too-large', error: 'HTTP 413' };
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.timers.now());
    if (status !== 408 && status !== 429 && status < 500) {
      // not a transient answer: keep the records, retry slowly, tell someone
      this.alarm({ kind: 'http', message: `dispatch answered HTTP ${status} to a batch` });
    }
    return { kind: 'retry', error: `HTTP ${status}`, retryAfterMs };
  }

  private alarm(a: LinkAlarm): void {
    this.log.error({ alarm: a.kind }, a.message);
    this.emit('alarm', a);
  }
}

/** a short, secret-free description of a fetch failure */
export function describeFetchError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'timeout';
    if (err.name === 'AbortError') return 'aborted';
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code !== undefined) return `network: ${cause.code}`;
    if (cause?.message !== undefined) return `network: ${cause.message}`;
    return err.message;
  }
  return String(err);
}
