/**
 * What the pipeline says: the verdict message on cg/v1/kits/{kit}/verdicts, the feedback
 * command to the scanning device, and the records handed to the sink. Pure functions of
 * one verdict's context.
 */
import type { WaybillInfo } from '../devices/scanner/waybill.js';
import type { Evaluation } from './engine.js';
import type { Facts, KitPosition } from './facts.js';
import type { Pair, PairWaiting } from './pairing.js';
import type { RecordInput } from './records.js';
import type { Pieces, Task } from './tasks.js';

export interface VerdictContext {
  gatewayId: string;
  verdictId: string;
  pair: Pair;
  waybill: WaybillInfo;
  task?: Task;
  facts: Facts;
  evaluation: Evaluation;
  rulesetVersion: string;
  /** ms since epoch */
  verdictAt: number;
  evaluateMs: number;
  /** real ms from the pair closing to the verdict */
  pairToVerdictMs: number;
  position?: KitPosition;
}

export interface Feedback {
  beep: 'ok' | 'warn' | 'error';
  light: 'green' | 'amber' | 'red';
  text: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function verdictMessage(ctx: VerdictContext): Record<string, unknown> {
  const { pair, waybill, facts, evaluation } = ctx;
  const w = pair.weight;
  return {
    type: 'verdict',
    verdictId: ctx.verdictId,
    gatewayId: ctx.gatewayId,
    kit: pair.kit,
    pairId: pair.pairId,
    scan: { deviceId: pair.scan.deviceId, code: pair.scan.code, symbology: pair.scan.symbology, at: iso(pair.scan.receivedAt) },
    weight: w ? { deviceId: w.deviceId, grams: w.grams, stable: w.stable, at: iso(w.receivedAt) } : null,
    waybill: { value: waybill.waybill, scheme: waybill.scheme, valid: waybill.valid, reason: waybill.reason },
    taskId: ctx.task?.id ?? null,
    taskMatch: facts.taskMatch,
    weights: {
      grams: facts.weightStable ? facts.weightGrams : null,
      declaredGrams: facts.declaredWeightGrams,
      volumetricGrams: facts.volumetricGrams,
      billableGrams: facts.billableGrams,
    },
    outcome: evaluation.outcome,
    reasons: evaluation.reasons,
    confirmable: evaluation.outcome === 'needs-review',
    rulesetVersion: ctx.rulesetVersion,
    timings: {
      scanAt: iso(pair.scan.receivedAt),
      weightAt: w ? iso(w.receivedAt) : null,
      pairedAt: iso(ctx.verdictAt - ctx.pairToVerdictMs),
      verdictAt: iso(ctx.verdictAt),
      scanToVerdictMs: ctx.verdictAt - pair.scan.receivedAt,
      waitedMs: pair.waitedMs,
      pairToVerdictMs: ctx.pairToVerdictMs,
      evaluateMs: ctx.evaluateMs,
    },
  };
}

const maxText = 160;
const clip = (s: string): string => (s.length > maxText ? `${s.slice(0, maxText - 1)}…` : s);

/** Beep, light and one line for the device: the first (most severe) reason, or the waybill when accepted. */
export function feedbackFor(evaluation: Evaluation, waybill: string): Feedback {
  const first = evaluation.reasons[0];
  const more = evaluation.reasons.length > 1 ? ` (+${evaluation.reasons.length - 1} more)` : '';
  switch (evaluation.outcome) {
    case 'accepted':
      return { beep: 'ok', light: 'green', text: clip(`Accepted: ${waybill}`) };
    case 'needs-review':
      return { beep: 'warn', light: 'amber', text: clip(`Check: ${first?.message ?? ''}${more}`) };
    case 'rejected':
      return { beep: 'error', light: 'red', text: clip(`Rejected: ${first?.message ?? ''}${more}`) };
  }
}

/** What the scanner shows while its scan waits for a weight. */
export const waitingFeedback: Feedback = { beep: 'ok', light: 'amber', text: 'Waiting for weight: put the parcel on the scale.' };

/** The `pending` message on the verdicts topic: a scan is waiting for its weight until `until`. */
export function pendingMessage(w: PairWaiting, now: number): Record<string, unknown> {
  return {
    type: 'pending',
    pairId: w.pairId,
    kit: w.kit,
    waitingFor: 'weight',
    message: 'waiting for weight',
    scan: { deviceId: w.scan.deviceId, code: w.scan.code, symbology: w.scan.symbology, at: iso(w.scan.receivedAt) },
    windowMs: w.windowMs,
    until: iso(now + w.windowMs),
  };
}

/**
 * The pickup.completed record; `piece` is the parcel's number among its task's expected
 * pieces (`of` null: any number).
 */
export function pickupRecord(ctx: VerdictContext, receipt: string, confirmed?: { deviceId: string; at: number }, piece?: { piece: number; of: number | null }): RecordInput {
  const { pair, facts, task } = ctx;
  const devices = [...new Set([pair.scan.deviceId, pair.weight?.deviceId, confirmed?.deviceId].filter((d): d is string => d !== undefined))];
  return {
    kind: 'pickup.completed',
    stream: pair.kit,
    kit: pair.kit,
    devices,
    body: {
      receipt,
      verdictId: ctx.verdictId,
      pairId: pair.pairId,
      waybill: ctx.waybill.waybill,
      scheme: ctx.waybill.scheme,
      taskId: task?.id ?? null,
      taskMatch: facts.taskMatch,
      customer: task?.customer ?? null,
      /** piece k of the task's N parcels (of: null for any number); null without a task */
      pieces: piece ?? null,
      window: task?.window ?? null,
      weights: {
        grams: facts.weightGrams,
        declaredGrams: facts.declaredWeightGrams,
        volumetricGrams: facts.volumetricGrams,
        billableGrams: facts.billableGrams,
      },
      position: ctx.position
        ? { lat: ctx.position.lat, lon: ctx.position.lon, at: iso(ctx.position.at), ageMs: facts.positionAgeMs, distanceToTaskM: facts.distanceToTaskM }
        : null,
      times: {
        scannedAt: iso(pair.scan.receivedAt),
        scanDeviceAt: pair.scan.deviceAt ?? null,
        weighedAt: pair.weight ? iso(pair.weight.receivedAt) : null,
        verdictAt: iso(ctx.verdictAt),
        confirmedAt: confirmed ? iso(confirmed.at) : null,
      },
      devices: { scanner: pair.scan.deviceId, scale: pair.weight?.deviceId ?? null, confirmedBy: confirmed?.deviceId ?? null },
      outcome: ctx.evaluation.outcome,
      confirmed: confirmed !== undefined,
      reasons: ctx.evaluation.reasons.map((r) => ({ code: r.code, severity: r.severity })),
      rulesetVersion: ctx.rulesetVersion,
      clockQuality: facts.clockQuality,
    },
  };
}

/** What a stop record tells: an exception event, a stop closed short or beyond, or an any-number stop closed done. */
export interface ExceptionInput {
  deviceId: string;
  taskId: string;
  reason: string;
  note?: string;
  /** the device's own time, when it sent one */
  deviceAt?: string;
  receivedAt: number;
  task?: Task;
  /** parcels recorded / expected, for a stop closed short */
  pieces?: Pieces;
}

/**
 * A `pickup.exception` (an exception at the stop, or a stop closed short / beyond) or a
 * `pickup.closed` (an any-number stop the courier closed as done): the kit's stream, so
 * dispatch reads it after the stop's pickups.
 */
export function stopRecord(args: { kind: 'pickup.exception' | 'pickup.closed'; id: string; kit: string; input: ExceptionInput; position?: KitPosition; now: number }): RecordInput {
  const { input, position } = args;
  const task = input.task;
  return {
    kind: args.kind,
    stream: args.kit,
    kit: args.kit,
    devices: [input.deviceId],
    body: {
      [args.kind === 'pickup.closed' ? 'closeId' : 'exceptionId']: args.id,
      taskId: input.taskId,
      taskKnown: task !== undefined,
      waybill: task?.waybill ?? null,
      customer: task?.customer ?? null,
      reason: input.reason,
      note: input.note ?? null,
      deviceAt: input.deviceAt ?? null,
      receivedAt: iso(input.receivedAt),
      position: position ? { lat: position.lat, lon: position.lon, at: iso(position.at), ageMs: Math.max(0, args.now - position.at) } : null,
      device: input.deviceId,
      ...(input.pieces ? { pieces: input.pieces } : {}),
    },
  };
}
