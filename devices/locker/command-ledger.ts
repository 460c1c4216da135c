/**
 * The command ids a bank has taken, remembered across restarts (in the device's state
 * store) so a replayed command is never executed twice. Bounded: the oldest ids go first.
 */
import type { DeviceStateStore } from '../driver.js';

const KEY = 'commandIds';

export class CommandLedger {
  private readonly ids: string[];
  private readonly seen: Set<string>;

  constructor(
    private readonly store: DeviceStateStore,
    private readonly capacity = 500,
  ) {
    const saved = store.get<unknown>(KEY);
    this.ids = Array.isArray(saved) ? saved.filter((v): v is string => typeof v === 'string').slice(-capacity) : [];
    this.seen = new Set(this.ids);
  }

  has(id: string): boolean {
    return this.seen.has(id);
  }

  /**
   * Takes an id synchronously (a second call with the same id returns false at once),
   * then persists it; execute the command only after the returned promise resolves true.
   */
  take(id: string): { fresh: boolean; saved: Promise<void> } {
    if (this.seen.has(id)) return { fresh: false, saved: Promise.resolve() };
    this.seen.add(id);
    this.ids.push(id);
    while (this.ids.length > this.capacity) this.seen.delete(this.ids.shift() as string);
    return { fresh: true, saved: this.store.set(KEY, [...this.ids]) };
  }
}
