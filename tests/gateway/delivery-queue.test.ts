import { describe, expect, it } from 'vitest';
import mqemitter from 'mqemitter';
import { DeliveryQueue } from '../../gateway/delivery-queue.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('DeliveryQueue', () => {
  it('drains 200,000 queued messages whose deliveries complete synchronously without deepening the stack', async () => {
    const q = new DeliveryQueue(100);
    const held: (() => void)[] = [];
    // slow subscribers hold every delivery slot, so what follows queues up
    q.on('slow/#', (_m, done) => held.push(done));
    for (let i = 0; i < 100; i++) q.emit({ topic: 'slow/x' });
    let completed = 0;
    for (let i = 0; i < 200_000; i++) q.emit({ topic: 'nobody/listens' }, () => completed++);
    expect(q.length).toBe(200_000);
    expect(q.current).toBe(100);
    held.splice(0).forEach((d) => d());
    await flush();
    expect(completed).toBe(200_000);
    expect(q.length).toBe(0);
  });

  it('is the case plain mqemitter overflows on (so the test above can fail)', () => {
    const mq = mqemitter({ concurrency: 100 });
    const held: (() => void)[] = [];
    mq.on('slow/#', (_m, done) => held.push(done));
    for (let i = 0; i < 100; i++) mq.emit({ topic: 'slow/x' });
    for (let i = 0; i < 200_000; i++) mq.emit({ topic: 'nobody/listens' });
    expect(() => held.splice(0).forEach((d) => d())).toThrow(RangeError);
  });

  it('keeps at most `concurrency` messages in delivery and delivers in order', async () => {
    const q = new DeliveryQueue(3);
    const seen: number[] = [];
    const held: (() => void)[] = [];
    q.on('t', (m, done) => {
      seen.push(m.n as number);
      held.push(done);
    });
    for (let n = 0; n < 10; n++) q.emit({ topic: 't', n });
    expect(seen).toEqual([0, 1, 2]);
    expect(q.current).toBe(3);
    expect(q.length).toBe(7);
    expect(q.peak).toBe(7);
    while (held.length) {
      held.shift()!();
      await flush();
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(q.current).toBe(0);
  });

  it('takes messages emitted from inside a delivery into the same loop', () => {
    const q = new DeliveryQueue(1);
    const seen: string[] = [];
    q.on('a', (_m, done) => {
      seen.push('a');
      q.emit({ topic: 'b' });
      done();
    });
    q.on('b', (_m, done) => {
      seen.push('b');
      done();
    });
    q.emit({ topic: 'a' });
    expect(seen).toEqual(['a', 'b']);
  });

  it('fails what is still waiting when closed', async () => {
    const q = new DeliveryQueue(1);
    q.on('t', () => undefined); // never completes
    q.emit({ topic: 't' });
    const errors: (Error | undefined)[] = [];
    q.emit({ topic: 't' }, (err) => errors.push(err));
    await new Promise<void>((r) => q.close(r));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/closed/);
    q.emit({ topic: 't' }, (err) => errors.push(err));
    expect(errors).toHaveLength(2);
  });
});
