/** Small state in a JSON file (lowdb): written whole and atomically on each update. Not for the journal. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';

export class StateFile<T extends object> {
  private queue: Promise<void> = Promise.resolve();

  private constructor(private readonly db: Low<T>) {}

  static async open<T extends object>(file: string, defaults: T): Promise<StateFile<T>> {
    await mkdir(path.dirname(file), { recursive: true });
    const db = new Low<T>(new JSONFile<T>(file), defaults);
    try {
      await db.read();
    } catch (err) {
      throw new Error(`state file ${file} is not valid JSON (${(err as Error).message}); move it aside to start fresh`);
    }
    db.data = { ...defaults, ...(db.data ?? {}) };
    return new StateFile(db);
  }

  get data(): T {
    return this.db.data;
  }

  /** Applies a change and writes the file; updates are serialised. */
  update(change: (data: T) => void): Promise<void> {
    const run = this.queue.then(async () => {
      change(this.db.data);
      await this.db.write();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
