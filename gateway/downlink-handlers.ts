/**
 * What the gateway does with each downlink item from dispatch: tasks into the task store,
 * rule sets into the pipeline (refused with the reasons when invalid), config patches
 * saved for the next start, collection and consent codes to the locker banks, assigned
 * waybills to the label printers.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import type { DownlinkHandlers, DownlinkTask } from '../cloud-sync/sync/index.js';
import type { PickupPipeline } from '../rules/pipeline.js';
import type { TaskStore } from '../rules/tasks.js';
import { saveConfigPatch } from './config.js';
import type { LockerComponent } from './locker-component.js';
import type { PrinterComponent } from './printer-component.js';

/** the shape of a pushed rule set; its contents are checked when it is compiled */
const ruleSetSource = z.object({ version: z.string().optional(), files: z.record(z.string(), z.unknown()) });

export interface GatewayDownlinkOptions {
  tasks: TaskStore;
  pipeline: PickupPipeline;
  lockers: LockerComponent;
  printers?: PrinterComponent;
  dataDir: string;
  log: Logger;
}

export class GatewayDownlink implements DownlinkHandlers {
  constructor(private readonly o: GatewayDownlinkOptions) {}

  async onTask(task: DownlinkTask): Promise<void> {
    const r = await this.o.tasks.upsert(task, 'dispatch');
    if (!r.ok) throw new Error(`task refused: ${r.errors.join('; ')}`);
  }

  async onTaskCancel(taskId: string): Promise<void> {
    await this.o.tasks.cancel(taskId);
  }

  async onRuleset(ruleset: Record<string, unknown>): Promise<{ ok: boolean; reason?: string }> {
    const source = ruleSetSource.safeParse(ruleset);
    if (!source.success) return { ok: false, reason: `not a rule set: ${source.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}` };
    const r = await this.o.pipeline.loadRuleSet(source.data, 'dispatch');
    return r.ok ? { ok: true } : { ok: false, reason: r.errors.join('; ') };
  }

  async onConfigPatch(patch: Record<string, unknown>): Promise<void> {
    await saveConfigPatch(this.o.dataDir, patch);
    this.o.log.info({ keys: Object.keys(patch) }, 'config patch from dispatch saved; it applies from the next start');
  }

  onCollectionCode(code: Parameters<NonNullable<DownlinkHandlers['onCollectionCode']>>[0]): Promise<void> {
    return this.o.lockers.setCollectionCode(code);
  }

  async onLabelAssign(label: Parameters<NonNullable<DownlinkHandlers['onLabelAssign']>>[0]): Promise<boolean> {
    return (await this.o.printers?.label(label)) ?? false;
  }

  onConsentCode(code: Parameters<NonNullable<DownlinkHandlers['onConsentCode']>>[0]): Promise<void> {
    return this.o.lockers.setConsentCode(code);
  }
}
