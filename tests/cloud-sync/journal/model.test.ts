import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Journal } from '../../../cloud-sync/journal/journal.js';
import { type RecordInput } from '../../../rules/records.js';
import { laneOf, type Lane } from '../../../cloud-sync/journal/records.js';
import { openJournal, tempDir } from './helpers.js';

type Command =
  | { op: 'append'; kind: 'pickup.completed' | 'position.track' | 'eta.update'; stream: number; key: number }
  | { op: 'ackSome'; take: number; mask: number }
  | { op: 'rejectFirst' }
  | { op: 'restart' };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('append' as const), kind: fc.constantFrom('pickup.completed' as const, 'position.track' as const, 'eta.update' as const), stream: fc.nat({ max: 2 }), key: fc.nat({ max: 2 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('ackSome' as const), take: fc.integer({ min: 1, max: 8 }), mask: fc.nat({ max: 255 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'rejectFirst' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'restart' as const }) },
);

interface ModelRecord {
  id: string;
  lane: Lane;
  key: string | undefined;
  done: boolean;
}

/** what the journal should hand out: pending, not superseded, live then records then bulk, in append order */
function expected(model: ModelRecord[]): string[] {
  const visible = model.filter((r, i) => !r.done && !(r.lane === 'live' && model.slice(i + 1).some((later) => later.lane === 'live' && later.key === r.key)));
  return (['live', 'records', 'bulk'] as const).flatMap((lane) => visible.filter((r) => r.lane === lane).map((r) => r.id));
}

describe('Journal against a model', () => {
  // replayTailRecords 0 and 2 open from segment summaries; 1000 reads every segment
  it('hands out exactly the pending records, in order, through acks, rejects and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), fc.constantFrom(0, 2, 1000), async (commands, replayTailRecords) => {
        const { dir, cleanup } = await tempDir();
        const opts = { windowRecords: 2, segmentBytes: 700, replayTailRecords };
        let j: Journal = await openJournal(dir, opts);
        try {
          const model: ModelRecord[] = [];
          const seqs = new Map<string, number>();
          for (const c of commands) {
            if (c.op === 'append') {
              const input: RecordInput = { kind: c.kind, stream: `s${c.stream}`, body: { n: model.length } };
              if (c.kind === 'eta.update') input.coalesceKey = `k${c.key}`;
              const env = await j.append(input);
              const seq = (seqs.get(input.stream) ?? 0) + 1;
              seqs.set(input.stream, seq);
              expect(env.seq).toBe(seq);
              model.push({ id: env.id, lane: laneOf[c.kind], key: input.coalesceKey, done: false });
            } else if (c.op === 'ackSome') {
              const batch = await j.next(c.take, 1e9);
              const acked = batch.filter((_, i) => (c.mask >> i) & 1).map((r) => r.id);
              await j.ack(acked);
              for (const r of model) if (acked.includes(r.id)) r.done = true;
            } else if (c.op === 'rejectFirst') {
              const [first] = await j.next(1, 1e9);
              if (first) {
                await j.reject([{ id: first.id, reason: 'test' }]);
                const r = model.find((m) => m.id === first.id) as ModelRecord;
                r.done = true;
              }
            } else {
              await j.close();
              j = await openJournal(dir, opts);
            }
            const want = expected(model);
            expect((await j.next(1000, 1e9)).map((r) => r.id)).toEqual(want);
            const depth = j.stats().depth;
            expect(depth.live + depth.records + depth.bulk).toBe(want.length);
          }
        } finally {
          await j.close();
          await cleanup();
        }
      }),
      { numRuns: 60 },
    );
  });
});
