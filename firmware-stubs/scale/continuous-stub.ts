/** The device side of a continuous-output (CAS-style) scale: one line per tick, latin1 bytes with CR LF. */
import { CodecError } from '../../devices/codec.js';
import { encodeContinuousLine, formatContinuousData, lampByte, type ContinuousUnit } from '../../devices/scale/continuous-scale.js';
import { gramsPerUnit } from '../../devices/scale/units.js';
import type { ScalePlatform } from './platform.js';

export interface ContinuousStubOptions {
  /** 'full' sends id and lamp byte (22 bytes); 'short' omits them */
  form?: 'full' | 'short';
  id?: string;
  unit?: ContinuousUnit;
  decimals?: number;
}

export class ContinuousScaleStub {
  constructor(
    readonly platform: ScalePlatform,
    private readonly options: ContinuousStubOptions = {},
  ) {}

  tick(nowMs: number): Uint8Array {
    const r = this.platform.read(nowMs);
    const unit = this.options.unit ?? 'kg';
    const decimals = this.options.decimals ?? 3;
    const form = this.options.form ?? 'full';
    const tared = r.tare > 0;
    const data = r.overload ? '   OL   ' : formatContinuousData(r.net / gramsPerUnit[unit], decimals, form === 'full' ? 'zero' : 'sign');
    const line = {
      state: r.overload ? ('overload' as const) : r.stable ? ('stable' as const) : ('unstable' as const),
      mode: tared ? ('net' as const) : ('gross' as const),
      data: data.length === 8 ? data : '   OL   ',
      unit,
      ...(form === 'full'
        ? { form, id: this.options.id ?? '1', lamp: lampByte({ stable: r.stable, gross: !tared, tare: tared, zero: r.net === 0 }) }
        : { form }),
    };
    const bytes = encodeContinuousLine(line);
    // the fields above are always in range; a CodecError here would be a stub bug
    if (bytes instanceof CodecError) throw bytes;
    return bytes;
  }
}
