import { describe, expect, it } from 'vitest';
import { figuresOf, humanHeld, type HumanResult } from '../../bench/human-load.js';

function result(over: Partial<HumanResult>): HumanResult {
  return { sent: 0, seconds: 1, verdicts: 0, verdictMs: [], recordedMs: [], recordIds: [], outcomes: {}, timeouts: 0, refusedOverloaded: 0, refusedOther: 0, waitFeedback: 0, ...over };
}

describe('human-paced load figures', () => {
  it('gives pairs/s and nearest-rank percentiles of the verdict and recorded latencies', () => {
    const verdictMs = Array.from({ length: 100 }, (_, i) => 100 - i);
    const f = figuresOf(result({ sent: 50, seconds: 10, verdicts: 100, verdictMs, recordedMs: [5, 1, 3], outcomes: { accepted: 3 } }));
    expect(f.pairsPerSec).toBe(5);
    expect(f.p50VerdictMs).toBe(50);
    expect(f.p99VerdictMs).toBe(99);
    expect(f.p50RecordedMs).toBe(3);
    expect(f.p99RecordedMs).toBe(5);
    expect(f.recorded).toBe(3);
  });

  it('holds a step only with verdicts, no timeouts and p99 under the bound', () => {
    const fast = result({ verdicts: 2, verdictMs: [3, 4] });
    expect(humanHeld(figuresOf(fast))).toBe(true);
    expect(humanHeld(figuresOf({ ...fast, timeouts: 1 }))).toBe(false);
    expect(humanHeld(figuresOf({ ...fast, verdictMs: [3, 60] }))).toBe(false);
    expect(humanHeld(figuresOf(result({})))).toBe(false);
  });
});
