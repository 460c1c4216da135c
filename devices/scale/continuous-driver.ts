/**
 * Continuous-output serial scale driver (CAS style): every line the scale streams is
 * decoded and goes out as a weight; overload without a number goes on the status. The
 * lamp byte is binary, so the raw frame is kept as hex.
 */
import { CodecError } from '../codec.js';
import type { CommandResult, Driver, DriverContext } from '../driver.js';
import type { SerialLink } from '../transports/types.js';
import { decodeContinuousLine } from './continuous-scale.js';
import type { ContinuousOptions } from './options.js';
import { latin1Hex, openSerialScale } from './serial-link.js';
import { statusFor, WeightOutput } from './weight-output.js';

export class ContinuousScaleDriver implements Driver {
  private link: SerialLink | undefined;
  private readonly output: WeightOutput;

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: ContinuousOptions,
  ) {
    this.output = new WeightOutput(ctx, options);
  }

  async start(): Promise<void> {
    this.link = openSerialScale(this.ctx, this.options.transport, 64, {
      onClose: () => this.output.reset(),
      onLine: (line) => this.onLine(line),
    });
  }

  async stop(): Promise<void> {
    this.output.reset();
    await this.link?.stop();
    this.link?.removeAllListeners();
    this.link = undefined;
  }

  async command(name: string): Promise<CommandResult> {
    return { ok: false, error: 'NOT_SUPPORTED', message: `a continuous-output scale takes no command (${name})` };
  }

  describe(): Record<string, unknown> {
    return this.output.describe();
  }

  private onLine(line: string): void {
    const reading = decodeContinuousLine(line);
    if (reading instanceof CodecError) {
      this.ctx.fault('decode', new CodecError(reading.protocol, reading.code, reading.message, latin1Hex(line)));
      return;
    }
    if (reading.grams === null) {
      this.output.noWeight('overload');
      return;
    }
    const base = reading.state === 'overload' ? 'over' : 'ok';
    this.output.push({
      grams: reading.grams,
      deviceStable: reading.stable,
      status: statusFor(reading.grams, reading.stable, base),
      raw: latin1Hex(line),
      extra: { mode: reading.mode, unit: reading.unit },
    });
  }
}
