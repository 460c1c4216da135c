/**
 * Fuzz: fast-check runs over every decoder of devices/registry.ts, the codec functions
 * and stream assemblers behind them, and every bus payload schema — random inputs, valid
 * inputs with a few random edits, and the valid inputs themselves; 10^6 per codec in the
 * long form (10^4 short), 10^5 per payload schema (10^4 short). Each input: no throw
 * escapes, no single decode takes long (a hang or a backtracking regular expression), a
 * rejection is a CodecError with a stable UPPER_SNAKE code (the same input gives the same
 * code again), anything else is a typed result (an object), never null.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodecError } from '../../devices/codec.js';
import { decoders, findDecoder } from '../../devices/registry.js';
import { checkEventPayload, eventSchemas, eventTypes, type EventType } from '../../devices/events.js';
import { decodeMtSicsCommand, mtSicsCommands } from '../../devices/scale/mt-sics.js';
import { decodeStateReply, splitFrames, decodeFrame } from '../../devices/locker/kerong-cu16.js';
import { encodeKeyboardReports, KeyboardWedgeAssembler } from '../../devices/scanner/keyboard-wedge.js';
import { HidPosAssembler } from '../../devices/scanner/hid-pos.js';
import { parseGs1 } from '../../devices/scanner/gs1.js';
import { decodeImage } from '../../devices/scanner/image.js';
import { classifyWaybill } from '../../devices/scanner/waybill.js';
import { toHex } from '../../devices/codec.js';
import { binaryVectors, bytesArb, mutated, textArb, textVectors } from './fuzz-vectors.js';
import { sized } from './harness.js';

const RUNS = sized(1_000_000, 10_000);
const SCHEMA_RUNS = sized(100_000, 10_000);
/** one decode taking this long is a hang (GC pauses on a busy 2-core machine stay far below) */
const HANG_MS = 250;
const CODE = /^[A-Z][A-Z0-9_]*$/;
const WAYBILL_REASONS = new Set(['UNKNOWN_FORMAT', 'BAD_CHECK_DIGIT', 'BAD_COUNTRY', 'NO_SSCC', 'BAD_GS1']);

interface Tally {
  inputs: number;
  rejected: number;
  codes: Set<string>;
  maxMs: number;
}
const tallies = new Map<string, Tally>();
let stackLimit = Error.stackTraceLimit;

beforeAll(() => {
  // decoders build errors for most random inputs: stack capture is the bulk of their cost and says nothing here
  stackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
});

afterAll(() => {
  Error.stackTraceLimit = stackLimit;
  const rows = [...tallies].map(([name, t]) => `${name}: ${t.inputs} inputs, ${t.rejected} rejected, max ${t.maxMs.toFixed(2)} ms, codes ${[...t.codes].sort().join(' ')}`);
  console.log(`[reliability] fuzz\n${rows.join('\n')}`);
});

function tally(name: string): Tally {
  let t = tallies.get(name);
  if (!t) tallies.set(name, (t = { inputs: 0, rejected: 0, codes: new Set(), maxMs: 0 }));
  return t;
}

/** Checks one output; throws (fails the property) with what was wrong. */
function checkOutput(name: string, out: unknown, t: Tally): void {
  if (out instanceof CodecError) {
    t.rejected++;
    if (!CODE.test(out.code)) throw new Error(`${name}: unstable error code ${JSON.stringify(out.code)}`);
    if (typeof out.protocol !== 'string' || out.protocol === '') throw new Error(`${name}: CodecError without a protocol`);
    if (typeof out.message !== 'string' || out.message === '') throw new Error(`${name}: CodecError without a message`);
    if (out.input !== undefined && typeof out.input !== 'string') throw new Error(`${name}: CodecError input is not text`);
    t.codes.add(out.code);
    return;
  }
  if (out instanceof Error) throw new Error(`${name}: returned a ${out.name}, not a CodecError: ${out.message}`);
  if (typeof out !== 'object' || out === null) throw new Error(`${name}: returned ${String(out)} instead of a typed result`);
}

/** Runs `decode` over `arb`; `inspect` adds codec-specific checks of a non-error result. */
function fuzz<T>(name: string, arb: fc.Arbitrary<T>, decode: (x: T) => unknown, runs = RUNS, inspect?: (out: unknown, x: T) => void, inputsPerRun?: (x: T) => number): void {
  const t = tally(name);
  let n = 0;
  fc.assert(
    fc.property(arb, (x) => {
      const t0 = performance.now();
      let out: unknown;
      try {
        out = decode(x);
      } catch (err) {
        throw new Error(`${name} threw: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      }
      const ms = performance.now() - t0;
      if (ms > t.maxMs) t.maxMs = ms;
      if (ms > HANG_MS) throw new Error(`${name}: one decode took ${ms.toFixed(0)} ms`);
      t.inputs += inputsPerRun?.(x) ?? 1;
      checkOutput(name, out, t);
      if (out instanceof CodecError) {
        // the same input gives the same code (sampled: it doubles the cost)
        if ((n++ & 7) === 0) {
          const again = decode(x);
          if (!(again instanceof CodecError) || again.code !== out.code) throw new Error(`${name}: a second decode of the same input gave ${again instanceof CodecError ? again.code : 'a value'} after ${out.code}`);
        }
      } else inspect?.(out, x);
    }),
    { numRuns: runs },
  );
}

const binary = (name: string, max = 96) => bytesArb(binaryVectors[name], max);
const text = (name: string, max = 96) => textArb(textVectors[name], max);
const typedCodes = ['RB1', '9!'].map((code) => {
  const r = encodeKeyboardReports(code);
  return Buffer.concat(r instanceof Array ? r : []);
});
/** keyboard reports as hex text: one run of whole reports, or reports separated by commas */
const keyboardText = fc.tuple(fc.oneof(mutated(typedCodes), fc.uint8Array({ maxLength: 40 })), fc.boolean()).map(([bytes, split]) => {
  if (!split) return toHex(bytes, '');
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 8) parts.push(toHex(bytes.subarray(i, i + 8)));
  return parts.join(', ');
});

/** the fuzz input of each registry decoder (input as the CLI hands it over) */
const decoderInputs: Record<string, fc.Arbitrary<Uint8Array | string>> = {
  'hid-pos-scale': binary('hid-pos-scale', 12),
  'ble-weight': binary('ble-weight', 24),
  'ble-weight-feature': binary('ble-weight-feature', 8),
  'mt-sics': text('mt-sics', 40),
  'continuous-scale': binary('continuous-scale', 40),
  'hid-keyboard': fc.oneof({ arbitrary: keyboardText, weight: 4 }, { arbitrary: fc.string({ maxLength: 40 }), weight: 1 }),
  'hid-pos-scanner': fc.oneof(bytesArb(binaryVectors['hid-pos-scanner'], 130), fc.array(mutated(binaryVectors['hid-pos-scanner']), { minLength: 2, maxLength: 3 }).map((rs) => Buffer.concat(rs))),
  'serial-scanner': text('serial-scanner', 80),
  waybill: text('waybill', 48),
  nmea: fc.oneof({ arbitrary: text('nmea', 90), weight: 4 }, { arbitrary: fc.array(text('nmea', 90), { minLength: 2, maxLength: 3 }).map((l) => l.join('\r\n')), weight: 1 }),
  lockboard: binary('lockboard', 16),
  escpos: binary('escpos', 64),
  tspl: text('tspl', 160),
};

describe(`fuzz: ${RUNS} inputs per codec, ${SCHEMA_RUNS} per payload schema`, () => {
  it('has an input generator for every decoder of the registry (image is fuzzed on its own below)', () => {
    const names = decoders.map((d) => d.name).filter((n) => n !== 'image');
    expect(names.filter((n) => !(n in decoderInputs))).toEqual([]);
    expect(findDecoder('image')?.input).toBe('file');
  });

  for (const [name, arb] of Object.entries(decoderInputs)) {
    it(`registry decoder ${name}`, async () => {
      const d = findDecoder(name)!;
      const inspect =
        name === 'waybill'
          ? (out: unknown) => {
              const w = out as { valid: boolean; reason?: string; waybill: string };
              if (typeof w.valid !== 'boolean' || typeof w.waybill !== 'string') throw new Error('waybill: not a WaybillInfo');
              if (!w.valid && !WAYBILL_REASONS.has(w.reason ?? '')) throw new Error(`waybill: invalid without a known reason (${w.reason})`);
            }
          : name === 'hid-keyboard'
            ? (out: unknown) => {
                for (const e of (out as { errors: unknown[] }).errors) checkOutput('hid-keyboard errors', e, tally('hid-keyboard'));
              }
            : undefined;
      const probe = d.decode(name === 'waybill' || d.input === 'text' ? '' : new Uint8Array(0));
      expect(probe instanceof Promise).toBe(false);
      fuzz(name, arb as fc.Arbitrary<Uint8Array | string>, (x) => d.decode(x), RUNS, inspect);
      expect(tally(name).inputs).toBeGreaterThanOrEqual(RUNS);
    });
  }

  it('mt-sics command decoder', () => {
    // a command decodes to its name (a string): wrapped so the generic checks apply
    const decode = (x: string) => {
      const r = decodeMtSicsCommand(x);
      return typeof r === 'string' ? { command: r } : r;
    };
    fuzz('mt-sics-command', text('mt-sics-command', 16), decode, RUNS, (out) => {
      if (!(mtSicsCommands as readonly string[]).includes((out as { command: string }).command)) throw new Error(`mt-sics-command: unknown command ${JSON.stringify(out)}`);
    });
  });

  it('GS1 element string parser', () => {
    fuzz('gs1', text('gs1', 64), (x) => parseGs1(x), RUNS, (out) => {
      if (!Array.isArray(out)) throw new Error('gs1: not a list of elements');
    });
  });

  it('waybill classifier with carrier schemes from config', () => {
    const carriers = [{ name: 'acme', pattern: 'AC\\d{10}', checkDigit: 'mod10' as const }, { name: 'bolt', pattern: '[A-Z]{2}\\d{9}[A-Z]{2}', checkDigit: 's10' as const }];
    fuzz('waybill+carriers', text('waybill', 48), (x) => classifyWaybill(x, carriers), RUNS, (out) => {
      const w = out as { valid: boolean; reason?: string };
      if (!w.valid && !WAYBILL_REASONS.has(w.reason ?? '')) throw new Error(`waybill: invalid without a known reason (${w.reason})`);
    });
  });

  it('kerong-cu16 frame splitter keeps at most one partial frame and every frame it cuts decodes', () => {
    const stream = fc.oneof(binary('lockboard', 40), fc.array(mutated(binaryVectors.lockboard), { minLength: 2, maxLength: 5 }).map((f) => Buffer.concat(f)));
    fuzz('kerong-split', stream, (x) => splitFrames(x), RUNS, (out) => {
      const r = out as ReturnType<typeof splitFrames>;
      if (r.rest.length > 9) throw new Error(`kerong-split: carries ${r.rest.length} bytes to the next chunk`);
      for (const f of r.frames) checkOutput('kerong-split frames', decodeFrame(f), tally('kerong-split'));
    });
    fuzz('kerong-state', binary('lockboard', 16), (x) => decodeStateReply(x));
  });

  it('keyboard wedge assembler over report sequences', () => {
    const seq = fc.array(fc.oneof(mutated(binaryVectors['keyboard-report']), fc.uint8Array({ maxLength: 10 }), fc.constantFrom(...binaryVectors['keyboard-report'])), { minLength: 1, maxLength: 8 });
    fuzz(
      'keyboard-stream',
      seq,
      (reports) => {
        const asm = new KeyboardWedgeAssembler({ maxLength: 64 });
        return { events: reports.flatMap((r, i) => asm.push(r, i * 10)), pending: asm.pending };
      },
      Math.ceil(RUNS / 4),
      (out) => {
        const o = out as { events: { type: string; error?: unknown }[]; pending: string };
        if (o.pending.length > 64) throw new Error('keyboard-stream: pending beyond maxLength');
        for (const e of o.events) if (e.type === 'error') checkOutput('keyboard-stream errors', e.error, tally('keyboard-stream'));
      },
      (reports) => reports.length,
    );
    expect(tally('keyboard-stream').inputs).toBeGreaterThanOrEqual(RUNS);
  });

  it('HID POS scanner assembler over report sequences', () => {
    const seq = fc.array(fc.oneof(mutated(binaryVectors['hid-pos-scanner']), fc.constantFrom(...binaryVectors['hid-pos-scanner']), fc.uint8Array({ minLength: 60, maxLength: 66 })), { minLength: 1, maxLength: 8 });
    fuzz(
      'hid-pos-stream',
      seq,
      (reports) => {
        const asm = new HidPosAssembler({ maxLength: 256 });
        return reports.map((r, i) => asm.push(r, i * 10));
      },
      Math.ceil(RUNS / 4),
      (out) => {
        for (const r of out as unknown[]) checkOutput('hid-pos-stream', r, tally('hid-pos-stream'));
      },
      (reports) => reports.length,
    );
    expect(tally('hid-pos-stream').inputs).toBeGreaterThanOrEqual(RUNS);
  });

  it('camera image decoder on random and damaged PNG/JPEG bytes (fewer runs: one decode is milliseconds)', async () => {
    const png = Buffer.from('89504E470D0A1A0A0000000D4948445200000010000000100806000000', 'hex');
    const jpeg = Buffer.from('FFD8FFE000104A46494600010100000100010000FFDB0043000806', 'hex');
    const t = tally('image');
    await fc.assert(
      fc.asyncProperty(bytesArb([png, jpeg], 200), async (x) => {
        const t0 = performance.now();
        let out: unknown;
        try {
          out = await decodeImage(x);
        } catch (err) {
          throw new Error(`image threw: ${(err as Error).message}`);
        }
        t.maxMs = Math.max(t.maxMs, performance.now() - t0);
        t.inputs++;
        checkOutput('image', out, t);
      }),
      { numRuns: sized(20_000, 1_000) },
    );
  });
});

/** a valid payload of each event type */
const validPayloads: Record<EventType, Record<string, unknown>[]> = {
  scan: [{ code: 'RB123456785GB', symbology: 'code128', at: '2025-03-01T10:00:00Z' }, { code: 'x' }],
  weight: [{ grams: 1210, stable: true, status: 'ok', at: '2025-03-01T10:00:00.000+01:00' }, { grams: -3.5, stable: false }],
  position: [{ lat: 52.52, lon: 13.4, speedKmh: 30, headingDeg: 90, accuracyM: 5, fix: '3d', at: '2025-03-01T10:00:00Z' }, { lat: -90, lon: 180 }],
  exception: [{ taskId: 'T1', reason: 'customer-absent', note: 'rang twice' }, { taskId: 'T', reason: 'other' }],
  locker: [{ compartment: 'A01', door: 'open', occupied: false }, { compartment: 'B', door: 'closed' }],
  image: [{ png: 'iVBORw0KGgo=' }, { jpeg: '/9j/4AAQ', at: '2025-03-01T10:00:00Z' }],
  code: [{ code: '123456', bank: 'bank-1' }, { code: 'x' }],
  cancel: [{ reason: 'user' }, {}],
  rating: [{ score: 4, note: 'quick' }, { complaint: 'late', at: '2025-03-01T10:00:00Z' }],
  confirm: [{ verdictId: '01J0000000000000000000000' }],
  task: [{ taskId: 'T1', response: 'accept' }, { taskId: 'T2', response: 'decline', reason: 'vehicle-full', at: '2025-03-01T10:00:00Z' }],
  close: [{ taskId: 'T1', reason: 'fewer-parcels', note: 'two of three ready' }, { taskId: 'T', reason: 'done' }],
};

const jsonLeaf = fc.oneof(fc.constant(null), fc.boolean(), fc.double(), fc.integer(), fc.string({ maxLength: 12 }), fc.constantFrom('', 'open', '3d', 'ok', '2025-03-01T10:00:00Z', 'NaN', '-1', '1e309'));
const jsonSmall = fc.oneof({ arbitrary: jsonLeaf, weight: 4 }, { arbitrary: fc.array(jsonLeaf, { maxLength: 3 }), weight: 1 }, { arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), jsonLeaf, { maxKeys: 3 }), weight: 1 });

/** a valid payload with fields dropped, replaced by random JSON, or added */
function mutatedPayload(type: EventType): fc.Arbitrary<unknown> {
  const seeds = validPayloads[type];
  const keys = [...new Set([...seeds.flatMap((s) => Object.keys(s)), ...Object.keys((eventSchemas[type] as unknown as { shape?: object }).shape ?? {})])];
  const edit = fc.tuple(fc.nat(2), keys.length > 0 ? fc.constantFrom(...keys) : fc.constant('x'), jsonSmall, fc.string({ maxLength: 8 }));
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 3 })).map(([seed, edits]) => {
    const o: Record<string, unknown> = { ...seed };
    for (const [kind, key, value, extra] of edits) {
      if (kind === 0) delete o[key];
      else if (kind === 1) o[key] = value;
      else o[extra] = value;
    }
    return o;
  });
}

describe('fuzz: bus payload schemas (devices/events.ts checkEventPayload)', () => {
  it('covers every event type', () => {
    expect(eventTypes.filter((t) => !(t in validPayloads))).toEqual([]);
    for (const type of eventTypes) for (const p of validPayloads[type]) expect(checkEventPayload(type, p).ok, `${type} ${JSON.stringify(p)}`).toBe(true);
  });

  for (const type of eventTypes) {
    it(`payload of ${type}`, () => {
      const t = tally(`schema:${type}`);
      const arb = fc.oneof({ arbitrary: mutatedPayload(type), weight: 4 }, { arbitrary: jsonSmall, weight: 1 });
      fc.assert(
        fc.property(arb, (raw) => {
          // the broker hands the schema what JSON.parse made of the wire bytes
          const payload = JSON.parse(JSON.stringify(raw) ?? 'null') as unknown;
          const t0 = performance.now();
          let r: ReturnType<typeof checkEventPayload>;
          try {
            r = checkEventPayload(type, payload);
          } catch (err) {
            throw new Error(`schema ${type} threw: ${(err as Error).message}`);
          }
          t.maxMs = Math.max(t.maxMs, performance.now() - t0);
          t.inputs++;
          if (r.ok) {
            if (typeof r.value !== 'object' || r.value === null) throw new Error(`schema ${type}: accepted a non-object`);
            return;
          }
          t.rejected++;
          if (typeof r.reason !== 'string' || r.reason === '' || typeof r.field !== 'string' || !r.reason.startsWith(`${r.field}:`)) {
            throw new Error(`schema ${type}: a refusal without a field and reason: ${JSON.stringify(r)}`);
          }
          t.codes.add(r.field);
        }),
        { numRuns: SCHEMA_RUNS },
      );
      expect(t.maxMs).toBeLessThan(HANG_MS);
    });
  }
});
