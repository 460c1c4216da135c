import { describe, expect, it } from 'vitest';
import { untilSignal } from '../../simulators/cli.js';

describe('untilSignal (demo --stay)', () => {
  it('resolves with the first SIGINT or SIGTERM and removes its handlers again', async () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    const waiting = untilSignal();
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1);
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
    process.emit('SIGTERM', 'SIGTERM');
    expect(await waiting).toBe('SIGTERM');
    expect(process.listenerCount('SIGINT')).toBe(before.int);
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
    const again = untilSignal();
    process.emit('SIGINT', 'SIGINT');
    expect(await again).toBe('SIGINT');
  });
});
