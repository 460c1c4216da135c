/**
 * Overload: the gateway's own bounded queues (messages waiting for delivery, verdicts
 * and records under way) and the event loop's delay say when the gateway is taking more
 * than it can serve. While overloaded, a device that sends faster than a person works
 * (`fairPerSecond`) is refused with OVERLOADED instead of queueing more work; past twice
 * a bound every new device event is. Nothing accepted is dropped: a refusal happens
 * before a message is taken in. It ends by itself once every queue is under half its
 * bound and the loop's delay under half its limit for `calmMs`.
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

export interface OverloadOptions {
  /**
   * the event loop may lag this long (ms) before new work is refused; one late tick is a
   * pause (a GC, a slow disk), so it takes `lateTicks` of the last 5 ticks over it
   */
  maxLagMs: number;
  lateTicks: number;
  /** while overloaded, a client sending more messages per second than this is refused */
  fairPerSecond: number;
  fairBurst: number;
  /** how long (ms) every queue must stay calm before overload ends */
  calmMs: number;
  /** how often (ms) the loop's delay is measured */
  checkEveryMs: number;
}

export const defaultOverloadOptions: OverloadOptions = { maxLagMs: 200, lateTicks: 2, fairPerSecond: 5, fairBurst: 20, calmMs: 1000, checkEveryMs: 100 };

/** A bounded queue the monitor watches. */
export interface PressureSource {
  name: string;
  size(): number;
  bound: number;
}

export interface OverloadState {
  active: boolean;
  /** what went over its bound, e.g. "deliveries 2400/2000" or "event loop 350 ms" */
  reason?: string;
  since?: number;
  /** times it became overloaded since start */
  episodes: number;
  lagMs: number;
}

export class OverloadMonitor {
  private readonly sources: PressureSource[] = [];
  private readonly o: OverloadOptions;
  private active = false;
  private reason: string | undefined;
  private since: number | undefined;
  private calmSince: number | undefined;
  private episodes = 0;
  private lagMs = 0;
  /** the lags of the last 5 ticks */
  private readonly lags: number[] = [];
  private expected = 0;
  private timer: NodeJS.Timeout | undefined;
  private histogram: IntervalHistogram | undefined;
  /** the loop delay quantiles of the last full window, seconds */
  private window = { p50: 0, p99: 0, max: 0 };
  private windowStarted = 0;

  constructor(
    options: Partial<OverloadOptions> = {},
    private readonly onChange: (state: OverloadState) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.o = { ...defaultOverloadOptions, ...options };
  }

  add(source: PressureSource): void {
    this.sources.push(source);
  }

  start(): void {
    if (this.timer) return;
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.windowStarted = performance.now();
    this.expected = performance.now() + this.o.checkEveryMs;
    this.timer = setInterval(() => this.tick(), this.o.checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.histogram?.disable();
  }

  /** Whether new work is to be refused now: O(1), called for every device event. */
  overloaded(): boolean {
    if (this.active) return true;
    for (const s of this.sources) {
      const size = s.size();
      if (size > s.bound) {
        this.enter(`${s.name} ${size}/${s.bound}`);
        return true;
      }
    }
    return false;
  }

  /** far over a bound: every new device event is refused, within its fair rate or not */
  severe(): boolean {
    if (!this.active) return false;
    if (this.lagMs > this.o.maxLagMs * 4) return true;
    for (const s of this.sources) if (s.size() > s.bound * 2) return true;
    return false;
  }

  get fairPerSecond(): number {
    return this.o.fairPerSecond;
  }

  get fairBurst(): number {
    return this.o.fairBurst;
  }

  state(): OverloadState {
    return { active: this.active, ...(this.reason ? { reason: this.reason } : {}), ...(this.since !== undefined ? { since: this.since } : {}), episodes: this.episodes, lagMs: Math.round(this.lagMs) };
  }

  /** event loop delay of the last 10 s window, seconds */
  loopDelay(): { p50: number; p99: number; max: number } {
    return this.window;
  }

  /** one measurement: the timer's own lateness is the loop's delay now */
  tick(at = performance.now()): void {
    this.lagMs = Math.max(0, at - this.expected);
    this.expected = at + this.o.checkEveryMs;
    this.lags.push(this.lagMs);
    if (this.lags.length > 5) this.lags.shift();
    if (this.histogram && at - this.windowStarted >= 10_000) {
      const h = this.histogram;
      this.window = { p50: h.percentile(50) / 1e9, p99: h.percentile(99) / 1e9, max: h.max / 1e9 };
      h.reset();
      this.windowStarted = at;
    }
    this.evaluate();
  }

  private evaluate(): void {
    let over: string | undefined;
    let calm = this.lagMs <= this.o.maxLagMs / 2;
    const late = this.lags.filter((l) => l > this.o.maxLagMs);
    if (late.length >= this.o.lateTicks) over = `event loop ${Math.round(Math.max(...late))} ms`;
    for (const s of this.sources) {
      const size = s.size();
      if (size > s.bound && over === undefined) over = `${s.name} ${size}/${s.bound}`;
      if (size > s.bound / 2) calm = false;
    }
    if (over !== undefined) {
      this.calmSince = undefined;
      if (!this.active) this.enter(over);
      else this.reason = over;
      return;
    }
    if (!this.active) return;
    if (!calm) {
      this.calmSince = undefined;
      return;
    }
    const now = this.now();
    this.calmSince ??= now;
    if (now - this.calmSince >= this.o.calmMs) this.leave();
  }

  private enter(reason: string): void {
    this.active = true;
    this.reason = reason;
    this.since = this.now();
    this.calmSince = undefined;
    this.episodes++;
    this.onChange(this.state());
  }

  private leave(): void {
    this.active = false;
    this.reason = undefined;
    this.since = undefined;
    this.calmSince = undefined;
    this.onChange(this.state());
  }
}

/**
 * A token bucket: `perSecond` tokens a second up to `burst`. `take()` spends one when
 * there is one; `delay()` (the rate limit) always spends one and says how long the
 * message must wait for it, or -1 when the client is so far over its rate that the
 * message is refused.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  delay(now: number): number {
    this.refill(now);
    if (this.tokens <= -this.burst) return -1;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }
}
