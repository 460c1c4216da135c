/**
 * Delay notices: the customer is told first. An exception at a stop, or an ETA that slips
 * past the task's window, becomes one `pickup.delay` record on the live lane (sent ahead of
 * any backlog) with the reason and the new ETA. Each cause is told once: a task's late ETA
 * once however many fixes follow, an exception once per reason; what was told is
 * forgotten with the task. What was told is a small state (open tasks with a notice only)
 * the gateway keeps in its data folder, so a restart does not tell a customer twice.
 */
import type { RecordInput } from '../rules/records.js';

export type DelayCause = 'exception' | 'eta-late';

export interface DelayNotice {
  kit: string;
  taskId: string;
  cause: DelayCause;
  /** the exception's reason, or `eta-past-window` */
  reason: string;
  /** the new ETA (true time, ms), when there is one */
  etaMs: number | undefined;
  window: { from: string; to: string } | undefined;
  /** when the cause happened (true time, ms) */
  causeAt: number;
  /** when the notice was made (true time, ms) */
  at: number;
  device?: string;
}

const iso = (ms: number): string => new Date(Math.round(ms)).toISOString();

export function delayRecord(n: DelayNotice): RecordInput {
  const to = n.window ? Date.parse(n.window.to) : NaN;
  const lateByMin = n.etaMs !== undefined && Number.isFinite(to) ? Math.max(0, Math.round((n.etaMs - to) / 6_000) / 10) : null;
  return {
    kind: 'pickup.delay',
    stream: `delay:${n.kit}`,
    kit: n.kit,
    devices: n.device ? [n.device] : undefined,
    body: {
      kit: n.kit,
      taskId: n.taskId,
      cause: n.cause,
      reason: n.reason,
      eta: n.etaMs === undefined ? null : iso(n.etaMs),
      window: n.window ?? null,
      lateByMin,
      causeAt: iso(n.causeAt),
      noticeAt: iso(n.at),
      noticeAfterMs: Math.max(0, Math.round(n.at - n.causeAt)),
    },
  };
}

/** One notice told: kit, task, `cause:reason`. */
export type ToldNotice = [kit: string, taskId: string, key: string];

/** What was told, per kit: `taskId` + cause + reason. */
export class DelayLedger {
  private readonly told = new Map<string, Map<string, Set<string>>>();

  /** true the first time this cause is seen for the task (and it is marked told) */
  first(kit: string, taskId: string, cause: DelayCause, reason: string): boolean {
    let byTask = this.told.get(kit);
    if (!byTask) this.told.set(kit, (byTask = new Map()));
    let keys = byTask.get(taskId);
    if (!keys) byTask.set(taskId, (keys = new Set()));
    const key = `${cause}:${reason}`;
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  }

  /** a notice that could not be kept may be told again */
  untell(kit: string, taskId: string, cause: DelayCause, reason: string): void {
    this.told.get(kit)?.get(taskId)?.delete(`${cause}:${reason}`);
  }

  /** true when something was told about the task */
  forget(kit: string, taskId: string): boolean {
    const byTask = this.told.get(kit);
    if (!byTask?.delete(taskId)) return false;
    if (byTask.size === 0) this.told.delete(kit);
    return true;
  }

  entries(): ToldNotice[] {
    const out: ToldNotice[] = [];
    for (const [kit, byTask] of this.told) for (const [taskId, keys] of byTask) for (const key of keys) out.push([kit, taskId, key]);
    return out;
  }

  /** what an earlier run told; entries of another form are skipped */
  restore(entries: unknown): number {
    if (!Array.isArray(entries)) return 0;
    let n = 0;
    for (const e of entries) {
      if (!Array.isArray(e) || e.length !== 3 || !e.every((x) => typeof x === 'string')) continue;
      const [kit, taskId, key] = e as ToldNotice;
      let byTask = this.told.get(kit);
      if (!byTask) this.told.set(kit, (byTask = new Map()));
      let keys = byTask.get(taskId);
      if (!keys) byTask.set(taskId, (keys = new Set()));
      keys.add(key);
      n++;
    }
    return n;
  }

  /** the task ids told about for the kit */
  tasks(kit: string): Iterable<string> {
    return this.told.get(kit)?.keys() ?? [];
  }
}
