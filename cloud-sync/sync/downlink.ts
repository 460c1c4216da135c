/**
 * The HTTP downlink: a long poll for tasks, rule sets and config patches from dispatch.
 *
 *   GET {url}/gateways/{gatewayId}/downlink?after={cursor}&waitSeconds=25
 *     -> 200 {"cursor":"...","items":[...]}  (the cursor is opaque)  |  204 nothing new
 *
 * Items go through the shared DownlinkApplier (validated, applied once by id); the cursor
 * is saved after applying. 401/403 stop polling (state 'auth-failed') until authRetryMs or
 * reconfigure(); other failures back off with full jitter, honouring Retry-After.
 *
 * Events: 'state' (LinkState, previous), 'alarm' (LinkAlarm), 'retry' ({ attempt, delayMs,
 * reason }), 'applied' (ItemResult[]) after each non-empty answer.
 */
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import { describeFetchError } from './http.js';
import type { DownlinkApplier } from './downlink-items.js';
import type { LinkAlarm, LinkState } from './link.js';
import { defaultBackoff, type BackoffOptions } from '../../core/backoff.js';
import { realTimers, type TimerPort } from '../../core/timers.js';
import { parseRetryAfter, retryDelayMs, Waiter } from './timing.js';

export interface DownlinkPollerOptions {
  url: string;
  gatewayId: string;
  token: string;
  applier: DownlinkApplier;
  /** long-poll wait asked of dispatch (default 25 s) */
  waitSeconds?: number;
  /** added to waitSeconds for the request's time limit (default 10 s) */
  graceMs?: number;
  backoff?: BackoffOptions;
  maxRetryAfterMs?: number;
  /** default 15 min */
  authRetryMs?: number;
  /** polls start at least this far apart, so a server that answers at once is not hammered (default 1 s) */
  minIntervalMs?: number;
  timers?: TimerPort;
  random?: () => number;
  fetch?: typeof fetch;
  log?: Logger;
}

export interface DownlinkPollerStats {
  state: LinkState;
  polls: number;
  /** answers that carried items */
  batches: number;
  retried: number;
  consecutiveFailures: number;
  cursor?: string;
  lastError?: string;
  lastSuccessAt?: string;
}

type PollResult =
  | { kind: 'items'; cursor: string; items: unknown[] }
  | { kind: 'empty' }
  | { kind: 'auth'; error: string }
  | { kind: 'retry'; error: string; retryAfterMs?: number };

export class DownlinkPoller extends EventEmitter {
  private readonly timers: TimerPort;
  private readonly random: () => number;
  private readonly doFetch: typeof fetch;
  private readonly log: Logger;
  private readonly waiter: Waiter;
  private url: string;
  private token: string;
  private cursor: string | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private abort = new AbortController();
  private authBlocked = false;
  private s: DownlinkPollerStats = { state: 'idle', polls: 0, batches: 0, retried: 0, consecutiveFailures: 0 };

  constructor(private readonly opts: DownlinkPollerOptions) {
    super();
    this.timers = opts.timers ?? realTimers;
    this.random = opts.random ?? Math.random;
    this.doFetch = opts.fetch ?? fetch;
    this.log = (opts.log ?? pino({ level: 'silent' })).child({ component: 'downlink-http' });
    this.waiter = new Waiter(this.timers);
    this.url = opts.url.replace(/\/+$/, '');
    this.token = opts.token;
  }

  /** loads the saved cursor and applied ids, then polls until stop() */
  async start(): Promise<void> {
    if (this.running) return;
    this.cursor = await this.opts.applier.load();
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    this.waiter.cancel();
    await this.loop;
    this.setState('idle');
  }

  reconfigure(change: { url?: string; token?: string }): void {
    if (change.url !== undefined) this.url = change.url.replace(/\/+$/, '');
    if (change.token !== undefined) this.token = change.token;
    this.authBlocked = false;
    this.waiter.wake(true);
  }

  stats(): DownlinkPollerStats {
    return { ...this.s, ...(this.cursor !== undefined ? { cursor: this.cursor } : {}) };
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.authBlocked) {
        await this.waiter.wait(this.opts.authRetryMs ?? 15 * 60_000, false);
        this.authBlocked = false;
        continue;
      }
      const startedAt = this.timers.now();
      const res = await this.poll();
      if (!this.running) return;
      switch (res.kind) {
        case 'items':
          try {
            const results = await this.opts.applier.apply(res.items, res.cursor);
            this.cursor = res.cursor;
            this.s.batches++;
            this.ok();
            this.emit('applied', results);
            await this.pace(startedAt);
          } catch (err) {
            // the items that were applied are remembered by id; the cursor stays where it was
            this.log.error({ err }, 'downlink state could not be saved');
            await this.backoff(`state: ${err instanceof Error ? err.message : String(err)}`);
          }
          break;
        case 'empty':
          this.ok();
          await this.pace(startedAt);
          break;
        case 'auth':
          this.authBlocked = true;
          this.fail(res.error, 'auth-failed');
          this.alarm({ kind: 'auth', message: `dispatch refused the gateway's credentials (${res.error}); downlink stopped` });
          break;
        case 'retry':
          await this.backoff(res.error, res.retryAfterMs);
          break;
      }
    }
  }

  private async poll(): Promise<PollResult> {
    const waitSeconds = this.opts.waitSeconds ?? 25;
    const q = new URLSearchParams({ after: this.cursor ?? '', waitSeconds: String(waitSeconds) });
    const url = `${this.url}/gateways/${encodeURIComponent(this.opts.gatewayId)}/downlink?${q.toString()}`;
    this.s.polls++;
    let res: Response;
    let text: string;
    try {
      res = await this.doFetch(url, {
        headers: { authorization: `Bearer ${this.token}` },
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(waitSeconds * 1000 + (this.opts.graceMs ?? 10_000))]),
      });
      text = await res.text();
    } catch (err) {
      return { kind: 'retry', error: describeFetchError(err) };
    }
    if (res.status === 204) return { kind: 'empty' };
    if (res.status === 200) {
      try {
        const body = JSON.parse(text) as { cursor?: unknown; items?: unknown };
        if (typeof body.cursor !== 'string' || !Array.isArray(body.items)) throw new Error('shape');
        return { kind: 'items', cursor: body.cursor, items: body.items };
      } catch {
        return { kind: 'retry', error: 'HTTP 200 with a body that is not {cursor, items}' };
      }
    }
    if (res.status === 401 || res.status === 403) return { kind: 'auth', error: `HTTP ${res.status}` };
    return { kind: 'retry', error: `HTTP ${res.status}`, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.timers.now()) };
  }

  private async pace(startedAt: number): Promise<void> {
    const left = (this.opts.minIntervalMs ?? 1000) - (this.timers.now() - startedAt);
    if (left > 0 && this.running) await this.waiter.wait(left, false);
  }

  private ok(): void {
    this.s.consecutiveFailures = 0;
    this.s.lastSuccessAt = new Date(this.timers.now()).toISOString();
    this.setState('up');
  }

  private fail(error: string, state: LinkState = 'down'): number {
    this.s.retried++;
    this.s.consecutiveFailures++;
    this.s.lastError = error;
    this.setState(state);
    return this.s.consecutiveFailures;
  }

  private async backoff(error: string, retryAfterMs?: number): Promise<void> {
    const attempt = this.fail(error);
    const delayMs = retryDelayMs(attempt, this.opts.backoff ?? defaultBackoff, this.random, retryAfterMs, this.opts.maxRetryAfterMs ?? 10 * 60_000);
    this.log.warn({ attempt, delayMs, error }, 'downlink poll failed, retrying');
    this.emit('retry', { attempt, delayMs, reason: error });
    await this.waiter.wait(delayMs, false);
  }

  private setState(state: LinkState): void {
    const prev = this.s.state;
    if (prev === state) return;
    this.s.state = state;
    this.emit('state', state, prev);
  }

  private alarm(a: LinkAlarm): void {
    this.log.error({ alarm: a.kind }, a.message);
    this.emit('alarm', a);
  }
}
