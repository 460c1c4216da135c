/**
 * Downlink items from dispatch (tasks, rule sets, config patches, locker codes): their validation and
 * their idempotent application through handler ports. Shared by the HTTP long poll
 * (downlink.ts) and the MQTT bridge, so both apply an item the same way.
 *
 * Each item is applied at most once by its id; a bad item is counted, logged and skipped,
 * never blocking the rest. After a batch, the applied ids (bounded) and the transport's
 * cursor are saved through the state port.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';
import { z } from 'zod';

const Id = z.string().min(1).max(200);

/** the least a task must have to be routed; the rules side validates the rest */
const TaskSchema = z.looseObject({ id: Id, kit: z.string().min(1) });
const Json = z.record(z.string(), z.unknown());

export const DownlinkItemSchema = z.discriminatedUnion('kind', [
  z.object({ id: Id, kind: z.literal('task.assign'), task: TaskSchema }),
  z.object({ id: Id, kind: z.literal('task.update'), task: TaskSchema }),
  z.object({ id: Id, kind: z.literal('task.cancel'), taskId: Id }),
  z.object({ id: Id, kind: z.literal('ruleset.publish'), ruleset: Json }),
  z.object({ id: Id, kind: z.literal('config.patch'), patch: Json }),
  z.object({
    id: Id,
    kind: z.literal('collection.code'),
    bank: Id,
    courier: Id,
    code: z.string().min(4).max(64),
    expiresAt: z.iso.datetime({ offset: true }),
    waybills: z.array(z.string()).optional(),
  }),
  z.object({ id: Id, kind: z.literal('label.assign'), kit: z.string().min(1), taskId: Id, waybill: z.string().min(1).max(64) }),
  z.object({
    id: Id,
    kind: z.literal('consent.code'),
    waybill: z.string().min(1).max(64),
    code: z.string().min(4).max(64),
    expiresAt: z.iso.datetime({ offset: true }),
  }),
]);

export type DownlinkItem = z.infer<typeof DownlinkItemSchema>;
export type DownlinkItemKind = DownlinkItem['kind'];
export type DownlinkTask = z.infer<typeof TaskSchema>;

/** what the gateway does with items; each may be async, a throw counts the item as failed */
export interface DownlinkHandlers {
  onTask(task: DownlinkTask, kind: 'task.assign' | 'task.update'): Promise<void> | void;
  onTaskCancel(taskId: string): Promise<void> | void;
  /** validates and swaps in the rule set; ok: false refuses it with a reason */
  onRuleset(ruleset: Record<string, unknown>): Promise<{ ok: boolean; reason?: string }>;
  onConfigPatch(patch: Record<string, unknown>): Promise<void> | void;
  /** a locker collection code for a courier at a bank, until it expires (never logged) */
  onCollectionCode?(code: { bank: string; courier: string; code: string; expiresAt: string; waybills?: string[] }): Promise<void> | void;
  /** a waybill dispatch assigned to a task that had none: its label is printed (the item id is the job id); false when no printer takes it */
  onLabelAssign?(label: { id: string; kit: string; taskId: string; waybill: string }): Promise<boolean> | boolean;
  /** a code the customer types at a locker terminal to agree to a locker for one parcel (never logged) */
  onConsentCode?(code: { waybill: string; code: string; expiresAt: string }): Promise<void> | void;
}

export interface DownlinkState {
  /** the HTTP long poll's opaque cursor (absent over MQTT) */
  cursor?: string;
  /** ids of the items applied most recently, oldest first */
  appliedIds: string[];
}

/** where the downlink state is kept (lowdb in the gateway) */
export interface DownlinkStatePort {
  get(): Promise<DownlinkState | undefined> | DownlinkState | undefined;
  set(state: DownlinkState): Promise<void> | void;
}

export type ItemOutcome = 'applied' | 'duplicate' | 'invalid' | 'refused' | 'failed';

export interface ItemResult {
  id?: string;
  kind?: string;
  outcome: ItemOutcome;
  reason?: string;
}

export interface DownlinkApplierStats extends Record<ItemOutcome, number> {
  lastAppliedAt?: string;
}

export interface DownlinkApplierOptions {
  handlers: DownlinkHandlers;
  state: DownlinkStatePort;
  /** config keys a patch may set, as dotted paths (`eta.roadFactor`, or `eta` for the whole object) */
  configWhitelist: readonly string[];
  /** how many applied ids are remembered (default 2000) */
  maxAppliedIds?: number;
  now?: () => number;
  log?: Logger;
}

/** the dotted paths of a patch's leaves (arrays and scalars are leaves) */
export function patchPaths(patch: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(patch)) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0) {
      out.push(...patchPaths(v as Record<string, unknown>, p));
    } else out.push(p);
  }
  return out;
}

/** the patch's paths the whitelist does not allow */
export function forbiddenPaths(patch: Record<string, unknown>, whitelist: readonly string[]): string[] {
  return patchPaths(patch).filter((p) => !whitelist.some((w) => p === w || p.startsWith(`${w}.`)));
}

/** a downlink message body as items: `{ items: [...] }`, an array, or one item */
export function itemsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (typeof body === 'object' && body !== null && Array.isArray((body as { items?: unknown }).items)) {
    return (body as { items: unknown[] }).items;
  }
  return [body];
}

/** validates one item; returns it typed or a reason naming the bad field */
export function parseDownlinkItem(raw: unknown): DownlinkItem | string {
  const r = DownlinkItemSchema.safeParse(raw);
  if (r.success) return r.data;
  return r.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'item'}: ${i.message}`).join('; ');
}

export class DownlinkApplier {
  private readonly applied = new Set<string>();
  private readonly counts: Record<ItemOutcome, number> = { applied: 0, duplicate: 0, invalid: 0, refused: 0, failed: 0 };
  private lastAppliedAt: string | undefined;
  private cursor: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;
  private readonly max: number;
  private readonly now: () => number;

  constructor(private readonly opts: DownlinkApplierOptions) {
    this.log = (opts.log ?? pino({ level: 'silent' })).child({ component: 'downlink' });
    this.max = opts.maxAppliedIds ?? 2000;
    this.now = opts.now ?? Date.now;
  }

  /** loads the saved state; returns the saved cursor */
  async load(): Promise<string | undefined> {
    const s = await this.opts.state.get();
    this.applied.clear();
    for (const id of s?.appliedIds ?? []) this.remember(id);
    this.cursor = s?.cursor;
    return this.cursor;
  }

  /**
   * Applies the items in order, then saves the applied ids and (when given) the new cursor.
   * Calls are serialised, so the HTTP poll and the MQTT bridge can share one applier.
   */
  apply(items: readonly unknown[], cursor?: string): Promise<ItemResult[]> {
    const run = this.chain.then(() => this.applyNow(items, cursor));
    this.chain = run.catch(() => undefined);
    return run;
  }

  stats(): DownlinkApplierStats {
    return { ...this.counts, ...(this.lastAppliedAt !== undefined ? { lastAppliedAt: this.lastAppliedAt } : {}) };
  }

  private async applyNow(items: readonly unknown[], cursor: string | undefined): Promise<ItemResult[]> {
    const results: ItemResult[] = [];
    for (const raw of items) {
      const res = await this.applyOne(raw);
      this.counts[res.outcome]++;
      if (res.outcome !== 'applied' && res.outcome !== 'duplicate') {
        this.log.warn({ item: res.id, kind: res.kind, outcome: res.outcome, reason: res.reason }, 'downlink item not applied');
      }
      results.push(res);
    }
    if (cursor !== undefined) this.cursor = cursor;
    await this.opts.state.set({ ...(this.cursor !== undefined ? { cursor: this.cursor } : {}), appliedIds: [...this.applied] });
    return results;
  }

  private async applyOne(raw: unknown): Promise<ItemResult> {
    const rawId = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
    const rawKind = typeof raw === 'object' && raw !== null ? (raw as { kind?: unknown }).kind : undefined;
    const id = typeof rawId === 'string' && rawId !== '' ? rawId : undefined;
    const kind = typeof rawKind === 'string' ? rawKind : undefined;
    if (id !== undefined && this.applied.has(id)) return { id, kind, outcome: 'duplicate' };
    const item = parseDownlinkItem(raw);
    if (typeof item === 'string') {
      // remembered, so a bad item served again is not logged again
      if (id !== undefined) this.remember(id);
      return { id, kind, outcome: 'invalid', reason: item };
    }
    let outcome: ItemResult;
    try {
      outcome = await this.dispatch(item);
    } catch (err) {
      outcome = { id: item.id, kind: item.kind, outcome: 'failed', reason: err instanceof Error ? err.message : String(err) };
    }
    this.remember(item.id);
    if (outcome.outcome === 'applied') this.lastAppliedAt = new Date(this.now()).toISOString();
    return outcome;
  }

  private async dispatch(item: DownlinkItem): Promise<ItemResult> {
    const base = { id: item.id, kind: item.kind };
    const h = this.opts.handlers;
    switch (item.kind) {
      case 'task.assign':
      case 'task.update':
        await h.onTask(item.task, item.kind);
        return { ...base, outcome: 'applied' };
      case 'task.cancel':
        await h.onTaskCancel(item.taskId);
        return { ...base, outcome: 'applied' };
      case 'ruleset.publish': {
        const r = await h.onRuleset(item.ruleset);
        return r.ok ? { ...base, outcome: 'applied' } : { ...base, outcome: 'refused', reason: r.reason ?? 'rule set refused' };
      }
      case 'config.patch': {
        const bad = forbiddenPaths(item.patch, this.opts.configWhitelist);
        if (bad.length > 0) return { ...base, outcome: 'refused', reason: `keys not allowed: ${bad.join(', ')}` };
        await h.onConfigPatch(item.patch);
        return { ...base, outcome: 'applied' };
      }
      case 'collection.code': {
        if (!h.onCollectionCode) return { ...base, outcome: 'refused', reason: 'this gateway runs no locker bank' };
        const { bank, courier, code, expiresAt, waybills } = item;
        await h.onCollectionCode({ bank, courier, code, expiresAt, waybills });
        return { ...base, outcome: 'applied' };
      }
      case 'label.assign': {
        const { kit, taskId, waybill } = item;
        const printed = (await h.onLabelAssign?.({ id: item.id, kit, taskId, waybill })) ?? false;
        return printed ? { ...base, outcome: 'applied' } : { ...base, outcome: 'refused', reason: `no label printer in kit ${kit}` };
      }
      case 'consent.code': {
        if (!h.onConsentCode) return { ...base, outcome: 'refused', reason: 'this gateway runs no locker bank' };
        const { waybill, code, expiresAt } = item;
        await h.onConsentCode({ waybill, code, expiresAt });
        return { ...base, outcome: 'applied' };
      }
    }
  }

  private remember(id: string): void {
    this.applied.delete(id);
    this.applied.add(id);
    while (this.applied.size > this.max) {
      const oldest = this.applied.values().next().value as string;
      this.applied.delete(oldest);
    }
  }
}
