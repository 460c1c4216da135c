/**
 * The record envelope: built once when a record is written, read back from a checked frame
 * payload. A payload whose checksum holds but whose JSON is not an envelope is damage.
 */
import { type ClockQuality, type RecordInput, type RecordKind } from '../../rules/records.js';
import { laneOf, type RecordEnvelope } from './records.js';

export interface EnvelopeStamp {
  id: string;
  gatewayId: string;
  bootId: string;
  seq: number;
  createdAtMs: number;
  clock: ClockQuality;
  /** performance.now() when the producer appended */
  monoMs: number;
}

export function buildEnvelope(input: RecordInput, stamp: EnvelopeStamp): RecordEnvelope {
  const env: RecordEnvelope = {
    id: stamp.id,
    kind: input.kind,
    gatewayId: stamp.gatewayId,
    stream: input.stream,
    seq: stamp.seq,
    createdAt: new Date(stamp.createdAtMs).toISOString(),
    clock: stamp.clock,
    bootId: stamp.bootId,
    monoMs: Math.round(stamp.monoMs * 1000) / 1000,
    body: input.body,
  };
  if (input.kit !== undefined) env.kit = input.kit;
  if (input.devices !== undefined) env.devices = [...input.devices];
  if (input.coalesceKey !== undefined) env.coalesceKey = input.coalesceKey;
  return env;
}

const CLOCKS = new Set(['ntp', 'gps', 'unsynced']);

function isKind(value: unknown): value is RecordKind {
  return typeof value === 'string' && Object.hasOwn(laneOf, value);
}

/** the envelope in `payload`, or a short reason why it is not one */
export function parseEnvelope(payload: Buffer): RecordEnvelope | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return { invalid: 'payload is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { invalid: 'payload is not an object' };
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || v.id.length === 0) return { invalid: 'id missing' };
  if (!isKind(v.kind)) return { invalid: `unknown kind ${String(v.kind)}` };
  if (typeof v.stream !== 'string') return { invalid: 'stream missing' };
  if (typeof v.seq !== 'number' || !Number.isInteger(v.seq) || v.seq < 1) return { invalid: 'seq invalid' };
  if (typeof v.createdAt !== 'string' || Number.isNaN(Date.parse(v.createdAt))) return { invalid: 'createdAt invalid' };
  if (typeof v.clock !== 'string' || !CLOCKS.has(v.clock)) return { invalid: 'clock invalid' };
  if (typeof v.body !== 'object' || v.body === null) return { invalid: 'body missing' };
  if (v.coalesceKey !== undefined && typeof v.coalesceKey !== 'string') return { invalid: 'coalesceKey invalid' };
  return value as RecordEnvelope;
}

export function isEnvelope(parsed: RecordEnvelope | { invalid: string }): parsed is RecordEnvelope {
  return !('invalid' in parsed);
}
