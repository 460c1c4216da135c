/**
 * The driver of every line scale (devices/scale/line-scale.ts): lines from the serial
 * device through the scale's decode to weight events; a poll command sent every everyMs
 * when the scale has one. A bad line counts as a decode fault. Never throws.
 */
import { CodecError } from '../codec.js';
import type { CommandResult, Driver, DriverContext } from '../driver.js';
import type { SerialLink } from '../transports/types.js';
import type { LineScale } from './line-scale.js';
import { decodeLine } from './line-scale.js';
import type { ContinuousOptions } from './options.js';
import { openSerialScale } from './serial-link.js';
import { statusFor, WeightOutput } from './weight-output.js';

export class LineScaleDriver implements Driver {
  private link: SerialLink | undefined;
  private poll: ReturnType<typeof setInterval> | undefined;
  private readonly output: WeightOutput;

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: ContinuousOptions,
    private readonly scale: LineScale,
  ) {
    this.output = new WeightOutput(ctx, options);
  }

  async start(): Promise<void> {
    this.link = openSerialScale(this.ctx, this.options.transport, this.scale.maxLineBytes, {
      onOpen: () => this.startPolling(),
      onClose: () => {
        this.stopPolling();
        this.output.reset();
      },
      onLine: (line) => this.onLine(line),
    });
  }

  async stop(): Promise<void> {
    this.stopPolling();
    this.output.reset();
    await this.link?.stop();
    this.link?.removeAllListeners();
    this.link = undefined;
  }

  async command(name: string): Promise<CommandResult> {
    return { ok: false, error: 'NOT_SUPPORTED', message: `a ${this.scale.name} scale takes no command (${name})` };
  }

  describe(): Record<string, unknown> {
    return this.output.describe();
  }

  private startPolling(): void {
    const poll = this.scale.poll;
    if (!poll) return;
    this.stopPolling();
    const send = (): void => {
      this.link?.write(poll.command + this.scale.delimiter).catch((error: Error) => this.ctx.fault('write', error));
    };
    send();
    this.poll = setInterval(send, poll.everyMs);
  }

  private stopPolling(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
  }

  private onLine(line: string): void {
    const reading = decodeLine(this.scale, line);
    if (reading instanceof CodecError) {
      this.ctx.fault('decode', reading);
      return;
    }
    if (reading.grams === null) {
      this.output.noWeight(reading.condition ?? 'no weight');
      return;
    }
    this.output.push({ grams: reading.grams, deviceStable: reading.stable, status: statusFor(reading.grams, reading.stable), raw: line });
  }
}
