import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { EXIT_SOFTWARE, installLastResort } from '../../gateway/last-resort.js';

describe('last-resort handler', () => {
  it('logs an uncaught error once, on stderr and the logger, and exits with 70', () => {
    const lines: string[] = [];
    const logged: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => logged.push(s) });
    const exits: number[] = [];
    const before = process.listeners('uncaughtException').length;
    const uninstall = installLastResort(log, { exit: (c) => exits.push(c), stderr: { write: (l: string) => lines.push(l) } });
    try {
      const handler = process.listeners('uncaughtException').at(-1)!;
      handler(new RangeError('Maximum call stack size exceeded'), 'uncaughtException');
      handler(new Error('second'), 'uncaughtException');
      expect(exits).toEqual([EXIT_SOFTWARE]);
      expect(lines).toEqual(['courier-gw: fatal uncaughtException: RangeError: Maximum call stack size exceeded\n']);
      expect(logged).toHaveLength(1);
      const entry = JSON.parse(logged[0]!) as { level: number; origin: string; err: { name: string } };
      expect(entry.level).toBe(60);
      expect(entry.err.name).toBe('RangeError');
    } finally {
      uninstall();
    }
    expect(process.listeners('uncaughtException').length).toBe(before);
  });

  it('treats an unhandled rejection the same way', () => {
    const exits: number[] = [];
    const lines: string[] = [];
    const uninstall = installLastResort(pino({ level: 'silent' }), { exit: (c) => exits.push(c), stderr: { write: (l: string) => lines.push(l) } });
    try {
      const handler = process.listeners('unhandledRejection').at(-1)!;
      handler('plain reason', Promise.resolve());
      expect(exits).toEqual([EXIT_SOFTWARE]);
      expect(lines[0]).toMatch(/unhandledRejection: Error: plain reason/);
    } finally {
      uninstall();
    }
  });
});
