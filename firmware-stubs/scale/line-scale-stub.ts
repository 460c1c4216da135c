/**
 * The device side of any line scale (devices/scale/line-scale.ts): the platform's reading
 * through the scale's own encode, one line a tick for a streaming scale, one line per poll
 * command for a polled one. Time is passed in; no timers.
 */
import type { LineScale, LineScaleReading } from '../../devices/scale/line-scale.js';
import type { ScalePlatform } from './platform.js';

export class LineScaleStub {
  constructor(
    readonly platform: ScalePlatform,
    readonly scale: LineScale,
  ) {}

  /** one command line from the gateway in, the reply lines out */
  receive(line: string, nowMs: number): string[] {
    return this.scale.poll && line.trim() === this.scale.poll.command.trim() ? [this.line(nowMs)] : [];
  }

  /** what the scale sends by itself at nowMs: a streaming scale's next line */
  tick(nowMs: number): string[] {
    return this.scale.poll ? [] : [this.line(nowMs)];
  }

  /** the reading the platform gives at nowMs, as the scale's codec sees it */
  reading(nowMs: number): LineScaleReading {
    const r = this.platform.read(nowMs);
    if (r.overload) return { grams: null, stable: false, condition: 'overload' };
    if (r.underload) return { grams: null, stable: false, condition: 'underload' };
    return { grams: r.net, stable: r.stable };
  }

  /** the reading at nowMs as the line the scale sends, delimiter included */
  line(nowMs: number): string {
    return this.scale.encode(this.reading(nowMs)) + this.scale.delimiter;
  }
}
