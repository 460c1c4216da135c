/**
 * The rule-set lifecycle: load at start, hot reload when the folder changes (debounced),
 * and sets pushed as JSON. Every new set is checked and dry-run against its fixtures
 * first (ruleset-compile.ts) and only then swapped in, in one assignment; a failing set is
 * refused with a clear log and the refusal metric, and the previous one keeps running.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { compileRuleSet, type CompileOptions, type CompileResult, type CompiledRuleSet, type RuleSetSource } from './ruleset-compile.js';
import { realTimers, type Timers } from '../core/timers.js';

export { compileRuleSet, type CompiledRuleSet, type CompileResult, type RuleSetSource } from './ruleset-compile.js';

/** Reads a rule-set folder into the JSON shape: ruleset.json, fixtures.json, top-level *.json and rules/*.json. */
export async function readRuleSetDir(dir: string): Promise<RuleSetSource> {
  const files: Record<string, unknown> = {};
  const readJsonFiles = async (sub: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(join(dir, sub));
    } catch {
      return;
    }
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const rel = sub === '' ? name : `${sub}/${name}`;
      if ((await stat(join(dir, rel))).isFile()) files[rel] = await readFile(join(dir, rel), 'utf8');
    }
  };
  await readJsonFiles('');
  await readJsonFiles('rules');
  return { files };
}

/** Checks and compiles a rule set from a folder (the core of `rules check`). */
export async function loadRuleSetDir(dir: string, opts: CompileOptions = {}): Promise<CompileResult> {
  try {
    return await compileRuleSet(await readRuleSetDir(dir), opts);
  } catch (e) {
    return { ok: false, errors: [`${dir}: ${e instanceof Error ? e.message : String(e)}`], fixtures: [] };
  }
}

export class RuleSetRefusedError extends Error {
  override readonly name = 'RuleSetRefusedError';
  constructor(readonly errors: string[], readonly version?: string) {
    super(`rule set${version ? ` ${version}` : ''} refused: ${errors.slice(0, 5).join('; ')}${errors.length > 5 ? ` (+${errors.length - 5} more)` : ''}`);
  }
}

export interface RuleSetManagerOptions extends CompileOptions {
  /** the rule-set folder (e.g. rules/sets/pickup) */
  dir: string;
  log: Logger;
  /** watch the folder and reload on change (default true) */
  watch?: boolean;
  debounceMs?: number;
  timers?: Timers;
  /** the refusal metric */
  onRefused?(errors: string[], version: string | undefined, origin: string): void;
  /** a new set is active */
  onSwapped?(set: CompiledRuleSet, origin: string): void;
}

export type LoadOutcome = { ok: true; version: string } | { ok: false; version?: string; errors: string[] };

export class RuleSetManager {
  private active: CompiledRuleSet | undefined;
  private watchers: FSWatcher[] = [];
  private debounce: unknown;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timers: Timers;
  private stopped = false;

  constructor(private readonly opts: RuleSetManagerOptions) {
    this.timers = opts.timers ?? realTimers;
  }

  /** Loads the folder's set; throws RuleSetRefusedError when it does not pass (there is nothing to fall back on). */
  async start(): Promise<void> {
    this.stopped = false;
    const r = await this.reload();
    if (!r.ok) throw new RuleSetRefusedError(r.errors, r.version);
    if (this.opts.watch !== false) this.watch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.debounce !== undefined) this.timers.clearTimeout(this.debounce);
    this.debounce = undefined;
    await this.queue.catch(() => undefined);
  }

  /** The active set; every verdict names its version. */
  get current(): CompiledRuleSet {
    if (!this.active) throw new Error('no rule set loaded (start() first)');
    return this.active;
  }

  get version(): string | undefined {
    return this.active?.version;
  }

  /** Resolves once every load or reload under way is done. */
  async settled(): Promise<void> {
    await this.queue;
  }

  /** Reads the folder again and swaps the set in if it passes. */
  reload(): Promise<LoadOutcome> {
    return this.serialise(async () => this.take(await loadRuleSetDir(this.opts.dir, this.opts), `dir:${this.opts.dir}`));
  }

  /** A set pushed as JSON (`{ version, files: { 'ruleset.json': ..., 'rules/x.json': ..., 'fixtures.json': ... } }`). */
  load(source: RuleSetSource, origin = 'push'): Promise<LoadOutcome> {
    return this.serialise(async () => {
      let r: CompileResult;
      try {
        r = await compileRuleSet(source, this.opts);
      } catch (e) {
        r = { ok: false, errors: [e instanceof Error ? e.message : String(e)], fixtures: [] };
      }
      return this.take(r, origin);
    });
  }

  private take(r: CompileResult, origin: string): LoadOutcome {
    if (!r.ok) {
      this.opts.log.error(
        { origin, version: r.version, errors: r.errors, keeping: this.active?.version },
        `rule set refused (${r.errors.length} error${r.errors.length === 1 ? '' : 's'}): ${r.errors[0] ?? ''}`,
      );
      this.opts.onRefused?.(r.errors, r.version, origin);
      return { ok: false, version: r.version, errors: r.errors };
    }
    const previous = this.active?.version;
    this.active = r.set;
    const { evaluator, unsupported } = r.set.engine;
    if (evaluator !== 'compiled')
      this.opts.log.warn({ origin, version: r.set.version, unsupported }, `rule set ${r.set.version} runs on json-rules-engine, not compiled: ${unsupported[0] ?? ''}`);
    this.opts.log.info({ origin, version: r.set.version, previous, rules: r.set.rules.length, fixtures: r.fixtures.length, evaluator }, 'rule set active');
    this.opts.onSwapped?.(r.set, origin);
    return { ok: true, version: r.set.version };
  }

  private serialise<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private watch(): void {
    const dir = resolve(this.opts.dir);
    const schedule = (): void => {
      if (this.stopped) return;
      if (this.debounce !== undefined) this.timers.clearTimeout(this.debounce);
      this.debounce = this.timers.setTimeout(() => {
        this.debounce = undefined;
        void this.reload().then(() => {
          // the folder may have been replaced as a whole: watch the new one
          if (!this.stopped) this.rewatch(dir, schedule);
        });
      }, this.opts.debounceMs ?? 300);
    };
    this.rewatch(dir, schedule);
  }

  private rewatch(dir: string, schedule: () => void): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    const add = (path: string, filter?: string): void => {
      try {
        const w = watch(path, (_e, name) => {
          if (filter === undefined || name === null || name === filter) schedule();
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // a missing folder is watched through its parent
      }
    };
    add(dir);
    add(join(dir, 'rules'));
    add(dirname(dir), basename(dir));
  }
}
