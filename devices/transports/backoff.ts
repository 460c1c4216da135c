/** Exponential backoff with full jitter: a random delay in [0, min(max, base * 2^attempt)], at least `floorMs`. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 20));
  return Math.max(Math.round(minMs / 2), Math.round(random() * cap));
}
