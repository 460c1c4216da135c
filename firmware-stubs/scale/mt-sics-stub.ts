/**
 * The device side of MT-SICS: takes command lines, returns reply lines (CR LF included),
 * repeats the weight on every tick after SIR, answers S once the load is stable (or S I
 * after `stableWaitMs`). Any command but SIR stops the repetition, as on a balance.
 */
import { CodecError } from '../../devices/codec.js';
import { decodeMtSicsCommand, encodeMtSicsReply, mtSicsWeightReply, type MtSicsReply, type MtSicsUnit } from '../../devices/scale/mt-sics.js';
import type { PlatformResult, ScalePlatform } from './platform.js';

export interface MtSicsStubOptions {
  unit?: MtSicsUnit;
  decimals?: number;
  serialNumber?: string;
  /** how long S waits for stability before answering S I, ms; default 3000 */
  stableWaitMs?: number;
}

const conditionOf = { busy: 'busy', overload: 'overload', underload: 'underload' } as const;

export class MtSicsStub {
  private repeat = false;
  private pendingS: number | undefined;
  private readonly unit: MtSicsUnit;
  private readonly decimals: number;

  constructor(
    readonly platform: ScalePlatform,
    private readonly options: MtSicsStubOptions = {},
  ) {
    this.unit = options.unit ?? 'g';
    this.decimals = options.decimals ?? 2;
  }

  /** one command line in, the reply lines out */
  receive(line: string, nowMs: number): string[] {
    const command = decodeMtSicsCommand(line);
    if (command instanceof CodecError) return [encodeMtSicsReply({ type: 'error', code: 'ES', error: 'syntax' })];
    if (command !== 'SIR') this.repeat = false;
    switch (command) {
      case 'S': {
        const r = this.platform.read(nowMs);
        if (r.overload || r.underload || r.stable) return [this.weight(nowMs)];
        this.pendingS = nowMs;
        return [];
      }
      case 'SI':
        return [this.weight(nowMs)];
      case 'SIR':
        this.repeat = true;
        return [this.weight(nowMs)];
      case 'Z':
        return [this.reply(this.platform.zero(nowMs), 'zero', nowMs)];
      case 'T':
        return [this.reply(this.platform.tare(nowMs), 'tare', nowMs)];
      case '@':
        this.pendingS = undefined;
        this.platform.reset();
        return [encodeMtSicsReply({ type: 'reset', serialNumber: this.options.serialNumber ?? 'B000000001' })];
    }
  }

  /** what the balance sends by itself at nowMs (SIR repetition, a deferred S answer) */
  tick(nowMs: number): string[] {
    const out: string[] = [];
    if (this.pendingS !== undefined) {
      if (this.platform.read(nowMs).stable) {
        this.pendingS = undefined;
        out.push(this.weight(nowMs));
      } else if (nowMs - this.pendingS >= (this.options.stableWaitMs ?? 3000)) {
        this.pendingS = undefined;
        out.push(encodeMtSicsReply({ type: 'weight-condition', condition: 'busy' }));
      }
    }
    if (this.repeat) out.push(this.weight(nowMs));
    return out;
  }

  private weight(nowMs: number): string {
    const r = this.platform.read(nowMs);
    if (r.overload) return encodeMtSicsReply({ type: 'weight-condition', condition: 'overload' });
    if (r.underload) return encodeMtSicsReply({ type: 'weight-condition', condition: 'underload' });
    return encodeMtSicsReply(mtSicsWeightReply(r.net, r.stable, this.unit, this.decimals));
  }

  private reply(result: PlatformResult, kind: 'zero' | 'tare', nowMs: number): string {
    let reply: MtSicsReply;
    if (result !== 'done') reply = { type: kind, done: false, condition: conditionOf[result] };
    else if (kind === 'zero') reply = { type: 'zero', done: true };
    else {
      const w = mtSicsWeightReply(this.platform.read(nowMs).tare, true, this.unit, this.decimals);
      reply = w.type === 'weight' ? { type: 'tare', done: true, form: 'S', value: w.value, decimals: w.decimals, unit: w.unit, grams: w.grams } : w;
    }
    return encodeMtSicsReply(reply);
  }
}
