/**
 * MT-SICS scale driver: polls with SIR (the scale repeats), SI or S at a configured rate,
 * answers `tare` and `zero` with the scale's reply. Replies the scale refuses (ES, EL, ET)
 * answer the pending command or count as a fault; a bad line counts as a fault. Never throws.
 */
import { CodecError } from '../codec.js';
import type { CommandResult, Driver, DriverContext } from '../driver.js';
import type { SerialLink } from '../transports/types.js';
import { decodeMtSicsReply, encodeMtSicsCommand, type MtSicsCommand, type MtSicsReply } from './mt-sics.js';
import type { MtSicsOptions } from './options.js';
import { openSerialScale } from './serial-link.js';
import { statusFor, WeightOutput } from './weight-output.js';

interface Pending {
  name: 'tare' | 'zero';
  resolve(result: CommandResult): void;
  timer: ReturnType<typeof setTimeout>;
}

const commandFor = { tare: 'T', zero: 'Z' } as const;

export class MtSicsDriver implements Driver {
  private link: SerialLink | undefined;
  private readonly output: WeightOutput;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  /** when the last SI / S poll was sent and not yet answered */
  private pollSentAt: number | undefined;
  private readonly pending: Pending[] = [];
  private stopped = false;

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: MtSicsOptions,
  ) {
    this.output = new WeightOutput(ctx, options);
  }

  async start(): Promise<void> {
    this.link = openSerialScale(this.ctx, this.options.transport, 256, {
      onOpen: () => this.startPolling(),
      onClose: () => this.onClose(),
      onLine: (line) => this.onLine(line),
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopPolling();
    this.failPending('STOPPED', 'driver stopped');
    this.output.reset();
    await this.link?.stop();
    this.link?.removeAllListeners();
    this.link = undefined;
  }

  async command(name: string, _payload: Record<string, unknown>): Promise<CommandResult> {
    if (name !== 'tare' && name !== 'zero') return { ok: false, error: 'NOT_SUPPORTED', message: `mt-sics has no command ${name}` };
    const link = this.link;
    if (!link?.isOpen) return { ok: false, error: 'OFFLINE', message: 'the serial port is not open' };
    const timeoutMs = this.options.commandTimeoutMs;
    return new Promise<CommandResult>((resolve) => {
      const entry: Pending = {
        name,
        resolve: (result) => {
          clearTimeout(entry.timer);
          this.pending.splice(this.pending.indexOf(entry), 1);
          resolve(result);
          this.resumeRepeat();
        },
        timer: setTimeout(() => entry.resolve({ ok: false, error: 'TIMEOUT', message: `no reply within ${timeoutMs} ms` }), timeoutMs),
      };
      this.pending.push(entry);
      this.write(commandFor[name]).catch((error: Error) => entry.resolve({ ok: false, error: 'WRITE_FAILED', message: error.message }));
    });
  }

  describe(): Record<string, unknown> {
    return { poll: this.options.poll.command ?? null, ...this.output.describe() };
  }

  private write(command: MtSicsCommand): Promise<void> {
    if (!this.link) return Promise.reject(new Error('not started'));
    return this.link.write(encodeMtSicsCommand(command));
  }

  private startPolling(): void {
    const poll = this.options.poll;
    if (!poll || poll.command === 'none') return;
    if (poll.command === 'SIR') {
      this.sendPoll('SIR');
      return;
    }
    this.stopPolling();
    this.pollTimer = setInterval(() => {
      const stale = this.pollSentAt !== undefined && this.ctx.now() - this.pollSentAt >= (this.options.commandTimeoutMs ?? 0);
      if (this.pending.length === 0 && (this.pollSentAt === undefined || stale)) this.sendPoll(poll.command as 'SI' | 'S');
    }, poll.everyMs);
  }

  private sendPoll(command: 'SIR' | 'SI' | 'S'): void {
    if (command !== 'SIR') this.pollSentAt = this.ctx.now();
    this.write(command).catch((error: Error) => this.ctx.fault('write', error));
  }

  /** any command cancels SIR on the scale: start it again once the command is answered */
  private resumeRepeat(): void {
    if (!this.stopped && this.options.poll.command === 'SIR' && this.link?.isOpen && this.pending.length === 0) this.sendPoll('SIR');
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.pollSentAt = undefined;
  }

  private onClose(): void {
    this.stopPolling();
    this.failPending('OFFLINE', 'the serial port closed');
    this.output.reset();
  }

  private failPending(error: string, message: string): void {
    for (const p of [...this.pending]) p.resolve({ ok: false, error, message });
  }

  private onLine(line: string): void {
    const reply = decodeMtSicsReply(line);
    if (reply instanceof CodecError) {
      this.ctx.fault('decode', reply);
      return;
    }
    this.handle(reply, line);
  }

  private handle(reply: MtSicsReply, line: string): void {
    const output = this.output;
    switch (reply.type) {
      case 'weight':
        this.pollSentAt = undefined;
        output.push({
          grams: reply.grams,
          deviceStable: reply.stable,
          status: statusFor(reply.grams, reply.stable),
          raw: line,
          extra: { value: reply.value, unit: reply.unit },
        });
        return;
      case 'weight-condition':
        this.pollSentAt = undefined;
        output.noWeight(reply.condition);
        return;
      case 'zero':
      case 'tare': {
        const name = reply.type;
        const p = this.pending.find((x) => x.name === name);
        if (!p) {
          this.ctx.log.debug({ line }, 'unsolicited reply');
          return;
        }
        if (reply.done) {
          p.resolve(reply.type === 'tare' && reply.grams !== undefined ? { ok: true, tareGrams: reply.grams } : { ok: true });
        } else {
          p.resolve({ ok: false, error: reply.condition === 'busy' ? 'BUSY' : 'OUT_OF_RANGE', message: `scale answered "${line.trim()}"` });
        }
        return;
      }
      case 'error': {
        this.pollSentAt = undefined;
        const p = this.pending[0];
        const message = `scale answered ${reply.code} (${reply.error} error)`;
        if (p) p.resolve({ ok: false, error: 'DEVICE_ERROR', code: reply.code, message });
        else this.ctx.fault('device-error', new Error(message), { line });
        return;
      }
      case 'reset':
        this.ctx.log.info({ serialNumber: reply.serialNumber }, 'scale reset');
        return;
    }
  }
}
