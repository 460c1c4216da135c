/**
 * Faults the reference dispatch can be told to show, by option, CLI flag or
 * `POST /admin/faults` (a partial object, merged into the current one).
 */

export interface DispatchFaults {
  /** answer 503 to every gateway request */
  down?: boolean;
  /** with down: the Retry-After (seconds) sent with the 503 */
  retryAfterSeconds?: number;
  /** wait this long before answering */
  slowMs?: number;
  /** share of gateway requests answered 500 (0..1) */
  errorRate?: number;
  /** close the connection without an answer */
  dropConnections?: boolean;
  /** answer 401 whatever the token */
  unauthorized?: boolean;
}

/** checks a faults patch; returns it typed or a sentence naming the bad field */
export function parseFaults(v: unknown): DispatchFaults | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'faults must be an object';
  const o = v as Record<string, unknown>;
  const out: DispatchFaults = {};
  for (const [k, val] of Object.entries(o)) {
    switch (k) {
      case 'down':
      case 'dropConnections':
      case 'unauthorized':
        if (typeof val !== 'boolean') return `${k} must be true or false`;
        out[k] = val;
        break;
      case 'slowMs':
      case 'retryAfterSeconds':
        if (typeof val !== 'number' || !Number.isFinite(val) || val < 0) return `${k} must be a number >= 0`;
        out[k] = val;
        break;
      case 'errorRate':
        if (typeof val !== 'number' || !(val >= 0 && val <= 1)) return 'errorRate must be a number from 0 to 1';
        out.errorRate = val;
        break;
      default:
        return `unknown fault '${k}'`;
    }
  }
  return out;
}
