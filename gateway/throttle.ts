/** Logs a repeated fault once per key per interval; the caller counts every occurrence. */
export class LogThrottle {
  private readonly last = new Map<string, number>();
  constructor(private readonly intervalMs = 60_000, private readonly now: () => number = Date.now) {}

  /** true when this key has not been logged within the interval; returns how many were suppressed since. */
  shouldLog(key: string): boolean {
    const t = this.now();
    const prev = this.last.get(key);
    if (prev !== undefined && t - prev < this.intervalMs) return false;
    if (this.last.size > 10_000) this.last.clear();
    this.last.set(key, t);
    return true;
  }
}
