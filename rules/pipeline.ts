/**
 * The pickup pipeline: device events in (scan, weight, position, exception, confirm),
 * verdicts, feedback and records out. Each scan is paired with a stable weight, its facts
 * computed, the active rule set run, and the verdict published on cg/v1/kits/{kit}/verdicts
 * with a feedback command to the scanning device. An accepted verdict (or a needs-review
 * one the courier confirms) becomes a pickup.completed record; the kit hears
 * `recorded: true` only after the sink said the record is durable.
 */
import type { Logger } from 'pino';
import { monotonicFactory } from '../core/ids.js';
import { classifyWaybill, type WaybillInfo } from '../devices/scanner/waybill.js';
import type { DeviceEvent } from '../devices/events.js';
import { topics } from '../core/topics.js';
import type { SeverityOverrides, Outcome } from './engine.js';
import { computeFacts, defaultFactSettings, findTask, type FactSettings, type KitPosition } from './facts.js';
import { Pairing, type Pair, type PairWaiting } from './pairing.js';
import { RecordRefusedError, type ClockQuality, type RecordSink } from './records.js';
import { ReceiptCounter, type ReceiptSource } from './receipt.js';
import { RuleSetManager, type LoadOutcome, type RuleSetSource } from './ruleset.js';
import type { TaskStore } from './tasks.js';
import type { Timers } from '../core/timers.js';
import { stopRecord, type ExceptionInput, feedbackFor, pendingMessage, pickupRecord, verdictMessage, waitingFeedback, type VerdictContext } from './verdicts.js';

/** The parcel k of a task's N (`of` null: any number). */
export interface PieceOf {
  piece: number;
  of: number | null;
}

export type PublishFn = (topic: string, payload: object, opts?: { retain?: boolean; qos?: 0 | 1 }) => void;

/** Plain callbacks the gateway maps to prom-client. */
export interface PipelineMetrics {
  /** ms from the pair's completing event to its verdict being published */
  observeLatency(ms: number): void;
  /** ms from the scan to its verdict, the wait for a weight included */
  observeScanToVerdict?(ms: number): void;
  countVerdict(outcome: Outcome): void;
  countRulesetRefused(): void;
  /** a record handed to the sink: ok, or refused with its reason */
  countRecord?(kind: 'pickup.completed' | 'pickup.exception' | 'pickup.closed', result: 'ok' | string): void;
}

export interface PipelineOptions {
  gatewayId: string;
  publish: PublishFn;
  sink: RecordSink;
  tasks: TaskStore;
  log: Logger;
  metrics?: PipelineMetrics;
  /** the waybill classifier (carrier schemes from config bound in) */
  classify?: (code: string) => WaybillInfo;
  now?: () => number;
  clockQuality?: () => ClockQuality;
  /** the rule-set folder, e.g. rules/sets/pickup */
  rulesDir: string;
  /** hot reload of the rule-set folder (default true) */
  watchRules?: boolean;
  rulesDebounceMs?: number;
  /** where the receipt counter lives (lowdb); or give `receipts` */
  dataDir?: string;
  receipts?: ReceiptSource;
  pairingWindowMs?: number;
  /** service limits, billing step, default service */
  settings?: Partial<FactSettings>;
  /** e.g. { UNKNOWN_TASK: 'reject' } */
  severity?: SeverityOverrides;
  /**
   * the clock of the courier's own actions: the pairing window and the measured latencies
   * are real time even when a scenario runs `now` faster (default Date.now)
   */
  actionNow?: () => number;
  /** how long a needs-review verdict can be confirmed (default 1 h) */
  reviewTtlMs?: number;
  timers?: Timers;
}

const verdictTopic = topics.kitVerdicts;
const feedbackTopic = (deviceId: string): string => topics.deviceCommand(deviceId, 'feedback');

export class PickupPipeline {
  readonly rules: RuleSetManager;
  private readonly pairing: Pairing;
  private readonly positions = new Map<string, KitPosition>();
  private readonly reviews = new Map<string, { ctx: VerdictContext; expires: number }>();
  private readonly inFlight = new Set<string>();
  /** per task: its pieces being recorded now, so two at once get their own numbers */
  private readonly piecesInFlight = new Map<string, number>();
  private readonly busy = new Set<Promise<unknown>>();
  private readonly settings: FactSettings;
  private readonly receipts: ReceiptSource & { start?(): Promise<void> };
  private readonly now: () => number;
  private readonly actionNow: () => number;
  private readonly newId: () => string;
  private readonly log: Logger;
  private running = false;

  constructor(private readonly opts: PipelineOptions) {
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.actionNow = opts.actionNow ?? (() => Date.now());
    const ulid = monotonicFactory();
    this.newId = () => ulid(this.now());
    this.settings = { ...defaultFactSettings, ...opts.settings, services: { ...defaultFactSettings.services, ...opts.settings?.services } };
    if (!opts.receipts && !opts.dataDir) throw new Error('PickupPipeline needs dataDir or receipts');
    this.receipts = opts.receipts ?? new ReceiptCounter({ dataDir: opts.dataDir!, now: this.now });
    this.rules = new RuleSetManager({
      dir: opts.rulesDir,
      log: opts.log.child({ component: 'rulesets' }),
      watch: opts.watchRules,
      debounceMs: opts.rulesDebounceMs,
      timers: opts.timers,
      settings: this.settings,
      classify: opts.classify,
      onRefused: () => opts.metrics?.countRulesetRefused(),
    });
    this.pairing = new Pairing({
      windowMs: opts.pairingWindowMs,
      timers: opts.timers,
      now: this.actionNow,
      onPair: (pair) => this.track(this.judge(pair)),
      onWaiting: (w) => this.waiting(w),
    });
  }

  async start(): Promise<void> {
    await this.receipts.start?.();
    await this.rules.start();
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.pairing.stop();
    await this.rules.stop();
    await this.whenIdle();
  }

  /** A rule set pushed as JSON (dispatch): checked, dry-run, then swapped in. */
  loadRuleSet(source: RuleSetSource, origin = 'dispatch'): Promise<LoadOutcome> {
    return this.rules.load(source, origin);
  }

  /** verdicts and records under way (the overload monitor bounds it) */
  get underWay(): number {
    return this.busy.size;
  }

  /** Resolves when every verdict and record under way is done. */
  async whenIdle(): Promise<void> {
    while (this.busy.size > 0) await Promise.allSettled([...this.busy]);
  }

  handle(event: DeviceEvent): void {
    if (!this.running) return;
    const kit = event.kit;
    if (kit === undefined) {
      this.log.debug({ device: event.deviceId, type: event.type }, 'event without a kit: not part of a pickup');
      return;
    }
    switch (event.type) {
      case 'scan': {
        const p = (event as DeviceEvent<'scan'>).payload;
        this.pairing.scan(kit, { deviceId: event.deviceId, code: p.code, symbology: p.symbology, receivedAt: event.receivedAt, deviceAt: p.at });
        return;
      }
      case 'weight': {
        const p = (event as DeviceEvent<'weight'>).payload;
        this.pairing.weight(kit, { deviceId: event.deviceId, grams: p.grams, stable: p.stable, status: p.status, receivedAt: event.receivedAt, deviceAt: p.at });
        return;
      }
      case 'position': {
        const p = (event as DeviceEvent<'position'>).payload;
        if (p.fix !== 'none') this.positions.set(kit, { lat: p.lat, lon: p.lon, at: event.receivedAt });
        return;
      }
      case 'exception':
        this.track(this.exception(kit, event as DeviceEvent<'exception'>));
        return;
      case 'confirm':
        this.track(this.confirm(kit, event as DeviceEvent<'confirm'>));
        return;
      case 'close':
        this.track(this.close(kit, event as DeviceEvent<'close'>));
        return;
      default:
        return;
    }
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch((e: unknown) => this.log.error({ err: e }, 'pickup pipeline step failed'));
    this.busy.add(guarded);
    void guarded.finally(() => this.busy.delete(guarded));
  }

  private async judge(pair: Pair): Promise<void> {
    const set = this.rules.current;
    const started = this.actionNow();
    const waybill = (this.opts.classify ?? classifyWaybill)(pair.scan.code);
    const position = this.positions.get(pair.kit);
    const { task, match } = findTask(this.opts.tasks, pair.kit, waybill.waybill, position);
    const duplicate = waybill.waybill !== '' && (this.inFlight.has(waybill.waybill) || this.opts.tasks.pickedUp(waybill.waybill) !== undefined);
    const facts = computeFacts({
      waybill,
      weight: pair.weight,
      task,
      taskMatch: match,
      duplicate,
      position,
      scannedAt: pair.scan.receivedAt,
      now: this.now(),
      clockQuality: this.opts.clockQuality?.() ?? 'unsynced',
      settings: this.settings,
    });
    const evaluation = await set.engine.evaluate(facts, this.opts.severity);
    const verdictAt = this.now();
    const doneAt = this.actionNow();
    const pairToVerdictMs = Math.max(0, doneAt - pair.closedAt);
    const ctx: VerdictContext = { gatewayId: this.opts.gatewayId, verdictId: this.newId(), pair, waybill, task, facts, evaluation, rulesetVersion: set.version, verdictAt, evaluateMs: doneAt - started, pairToVerdictMs, position };
    this.opts.publish(verdictTopic(pair.kit), verdictMessage(ctx), { qos: 1 });
    this.opts.publish(feedbackTopic(pair.scan.deviceId), feedbackFor(evaluation, waybill.waybill), { qos: 1 });
    this.opts.metrics?.observeLatency(pairToVerdictMs);
    this.opts.metrics?.observeScanToVerdict?.(pair.waitedMs + pairToVerdictMs);
    this.opts.metrics?.countVerdict(evaluation.outcome);
    this.log.info({ kit: pair.kit, verdict: ctx.verdictId, waybill: waybill.waybill, outcome: evaluation.outcome, reasons: evaluation.reasons.map((r) => r.code), ruleset: set.version }, 'verdict');
    if (evaluation.outcome === 'accepted') await this.record(ctx);
    else if (evaluation.outcome === 'needs-review') {
      this.sweepReviews(verdictAt);
      this.reviews.set(ctx.verdictId, { ctx, expires: verdictAt + (this.opts.reviewTtlMs ?? 3_600_000) });
    }
  }

  /** a scan waits for its weight: the kit hears it at once, not only when the window ends */
  private waiting(w: PairWaiting): void {
    this.opts.publish(verdictTopic(w.kit), pendingMessage(w, this.now()), { qos: 1 });
    this.opts.publish(feedbackTopic(w.scan.deviceId), waitingFeedback, { qos: 1 });
  }

  private async confirm(kit: string, event: DeviceEvent<'confirm'>): Promise<void> {
    const verdictId = event.payload.verdictId;
    this.sweepReviews(this.now());
    const review = this.reviews.get(verdictId);
    const refuse = (reason: string, message: string): void =>
      this.opts.publish(verdictTopic(kit), { type: 'recorded', verdictId, kit, recorded: false, reason, message }, { qos: 1 });
    if (!review) return refuse('NOT_CONFIRMABLE', 'no needs-review verdict with this id is waiting (unknown, expired, rejected or already recorded)');
    if (review.ctx.pair.kit !== kit) return refuse('WRONG_KIT', 'this verdict belongs to another kit');
    const wb = review.ctx.waybill.waybill;
    if (wb !== '' && (this.inFlight.has(wb) || this.opts.tasks.pickedUp(wb) !== undefined)) {
      this.reviews.delete(verdictId);
      return refuse('DUPLICATE_PICKUP', 'this parcel was picked up in the meantime');
    }
    this.reviews.delete(verdictId);
    await this.record(review.ctx, { deviceId: event.deviceId, at: this.now() });
  }

  private async record(ctx: VerdictContext, confirmed?: { deviceId: string; at: number }): Promise<void> {
    const kit = ctx.pair.kit;
    const wb = ctx.waybill.waybill;
    const taskId = ctx.task?.id;
    this.inFlight.add(wb);
    const piece = taskId === undefined ? undefined : this.takePiece(taskId);
    let pieceHeld = piece !== undefined;
    try {
      const receipt = await this.receipts.next();
      const input = pickupRecord(ctx, receipt, confirmed, piece);
      const envelope = await this.opts.sink.append(input);
      this.opts.metrics?.countRecord?.('pickup.completed', 'ok');
      // the record is durable: the kit hears it now; the task store (duplicate checks) is
      // marked in memory at once and saved behind
      const marking = this.opts.tasks.markPickedUp({ waybill: wb, kit, taskId, verdictId: ctx.verdictId, receipt, at: ctx.verdictAt });
      // the store counts the piece now (in memory): it is no longer under way
      this.releasePiece(taskId);
      pieceHeld = false;
      this.opts.publish(
        verdictTopic(kit),
        { type: 'recorded', verdictId: ctx.verdictId, kit, recorded: true, recordId: envelope.id, receipt, rulesetVersion: ctx.rulesetVersion, ...(piece ? { pieces: piece } : {}) },
        { qos: 1 },
      );
      try {
        await marking;
      } catch (e) {
        this.log.error({ err: e, verdict: ctx.verdictId }, 'pickup recorded but not saved in the task store');
      }
    } catch (e) {
      const reason = refusalReason(e);
      this.opts.metrics?.countRecord?.('pickup.completed', reason);
      this.log.error({ err: e, verdict: ctx.verdictId, reason }, 'pickup record refused');
      this.opts.publish(verdictTopic(kit), { type: 'recorded', verdictId: ctx.verdictId, kit, recorded: false, reason, message: e instanceof Error ? e.message : String(e) }, { qos: 1 });
      this.opts.publish(feedbackTopic(ctx.pair.scan.deviceId), { beep: 'error', light: 'red', text: 'Not recorded: keep the parcel and try again.' }, { qos: 1 });
      if (confirmed === undefined && ctx.evaluation.outcome === 'needs-review') this.reviews.set(ctx.verdictId, { ctx, expires: this.now() + (this.opts.reviewTtlMs ?? 3_600_000) });
    } finally {
      this.inFlight.delete(wb);
      if (pieceHeld) this.releasePiece(taskId);
    }
  }

  /** The number of the parcel about to be recorded for the task (its pieces recorded and under way, plus one). */
  private takePiece(taskId: string): PieceOf | undefined {
    const pieces = this.opts.tasks.pieces(taskId);
    if (!pieces) return undefined;
    const under = this.piecesInFlight.get(taskId) ?? 0;
    this.piecesInFlight.set(taskId, under + 1);
    return { piece: pieces.done + under + 1, of: pieces.expected === 'any' ? null : pieces.expected };
  }

  private releasePiece(taskId: string | undefined): void {
    if (taskId === undefined) return;
    const under = (this.piecesInFlight.get(taskId) ?? 1) - 1;
    if (under > 0) this.piecesInFlight.set(taskId, under);
    else this.piecesInFlight.delete(taskId);
  }

  private exception(kit: string, event: DeviceEvent<'exception'>): Promise<void> {
    const p = event.payload;
    const task = this.opts.tasks.get(p.taskId);
    return this.recordStop(kit, { deviceId: event.deviceId, taskId: p.taskId, reason: p.reason, note: p.note, deviceAt: p.at, receivedAt: event.receivedAt, task }, 'exception', async (recordId) => {
      if (task) await this.opts.tasks.markException(p.taskId, { reason: p.reason, at: event.receivedAt, recordId });
      return { taskKnown: task !== undefined };
    });
  }

  /**
   * The courier closes a stop: `done` for an any-number stop, as a pickup.closed record;
   * `fewer-parcels` / `more-parcels` closes it short (or beyond) as a pickup.exception
   * record. Answered `{type: "closed"}` on the verdicts topic once the record is durable.
   */
  private async close(kit: string, event: DeviceEvent<'close'>): Promise<void> {
    const p = event.payload;
    const task = this.opts.tasks.get(p.taskId);
    const pieces = this.opts.tasks.pieces(p.taskId);
    const refuse = (error: string, message: string): void => {
      this.opts.publish(verdictTopic(kit), { type: 'closed', kit, taskId: p.taskId, reason: p.reason, recorded: false, error, message }, { qos: 1 });
      this.opts.publish(feedbackTopic(event.deviceId), { beep: 'error', light: 'red', text: `Stop not closed: ${message}` }, { qos: 1 });
      this.log.warn({ kit, taskId: p.taskId, reason: p.reason, error }, 'stop close refused');
    };
    if (!task || task.kit !== kit || !pieces) return refuse('UNKNOWN_TASK', 'no task of this kit has this id');
    if (!this.opts.tasks.isOpen(p.taskId) && p.reason !== 'more-parcels') return refuse('NOT_OPEN', 'the stop is already complete, closed or cancelled');
    if (p.reason === 'done' && pieces.expected !== 'any') return refuse('PIECES_EXPECTED', `${pieces.expected} parcel(s) expected, ${pieces.done} recorded: close it with fewer-parcels or more-parcels`);
    if (p.reason === 'fewer-parcels' && pieces.expected === 'any') return refuse('ANY_NUMBER', 'the stop takes any number of parcels: close it with done');
    if (this.piecesInFlight.has(p.taskId)) return refuse('PIECE_UNDER_WAY', 'a parcel of the stop is being recorded: close it once it is answered');
    const reason = p.reason;
    await this.recordStop(kit, { deviceId: event.deviceId, taskId: p.taskId, reason, note: p.note, deviceAt: p.at, receivedAt: event.receivedAt, task, pieces }, 'closed', async (recordId) => {
      await this.opts.tasks.closeStop(p.taskId, { reason, at: event.receivedAt, recordId });
      return { pieces };
    });
  }

  /**
   * One record of the stop: a pickup.exception, or a pickup.closed for a `done`. The kit
   * hears `{type: answer}` once it is durable (then `after` ran).
   */
  private async recordStop(kit: string, input: ExceptionInput, answer: 'exception' | 'closed', after: (recordId: string) => Promise<Record<string, unknown>>): Promise<void> {
    const position = this.positions.get(kit);
    const kind = input.reason === 'done' ? 'pickup.closed' : 'pickup.exception';
    const id = this.newId();
    const what = kind === 'pickup.closed' ? 'Stop closed' : 'Exception';
    const ack = (payload: Record<string, unknown>): void =>
      this.opts.publish(verdictTopic(kit), { type: answer, [kind === 'pickup.closed' ? 'closeId' : 'exceptionId']: id, kit, taskId: input.taskId, reason: input.reason, ...payload }, { qos: 1 });
    try {
      const envelope = await this.opts.sink.append(stopRecord({ kind, id, kit, input, position, now: this.now() }));
      this.opts.metrics?.countRecord?.(kind, 'ok');
      const more = await after(envelope.id);
      ack({ recorded: true, recordId: envelope.id, ...more });
      const text = kind === 'pickup.closed' ? `Stop closed: ${input.pieces?.done ?? 0} parcel(s).` : `Exception recorded: ${input.reason.replace(/-/g, ' ')}.`;
      this.opts.publish(feedbackTopic(input.deviceId), { beep: 'ok', light: 'green', text }, { qos: 1 });
    } catch (e) {
      const reason = refusalReason(e);
      this.opts.metrics?.countRecord?.(kind, reason);
      this.log.error({ err: e, kit, taskId: input.taskId, reason }, `${kind} record refused`);
      ack({ recorded: false, reason, message: e instanceof Error ? e.message : String(e) });
      this.opts.publish(feedbackTopic(input.deviceId), { beep: 'error', light: 'red', text: `${what} not recorded: try again.` }, { qos: 1 });
    }
  }

  /** reviews are kept in the order they expire (insertion order, one TTL): only the expired front is visited */
  private sweepReviews(now: number): void {
    for (const [id, r] of this.reviews) {
      if (r.expires > now) break;
      this.reviews.delete(id);
    }
  }
}

/** Why a record could not be kept: the sink's reason, DISK_FULL for a full disk anywhere on the way, else IO. */
function refusalReason(e: unknown): string {
  if (e instanceof RecordRefusedError) return e.reason;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' ? 'DISK_FULL' : 'IO';
}
