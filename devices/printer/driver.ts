/**
 * The printer driver, one for both languages: a link (serial line or TCP 9100), a status
 * poll (DLE EOT n or ESC ! ?) while idle and after every job, and a journaled job queue.
 *
 * Exactly once: a job (`print` command, with the id its producer gives it: the pickup's
 * record id, the label's downlink id) is kept in the device's state before it is
 * acknowledged; it is marked `sent` in the state before its bytes are written and `done`
 * after. The same id again is a duplicate and prints nothing. A job found `sent` but not
 * done after a restart is not sent again (it may have printed): it is reported as
 * uncertain and a `reprint` prints it on purpose, counted as a reprint.
 *
 * A job waits while the printer reports a fault (paper out, cover or head open, offline,
 * error) or does not answer; each fault is an alarm in describe().alarms until it clears.
 */
import type { Transform } from 'node:stream';
import { CodecError } from '../codec.js';
import type { CommandResult, Driver, DriverContext } from '../driver.js';
import type { SerialLink } from '../transports/types.js';
import { byteFraming } from '../transports/framing.js';
import { openSerialDevice } from '../transports/serial-device.js';
import { TcpLink } from '../transports/tcp.js';
import { blockingFaults, readyStatus, receiptDots, type PrintPage, type PrinterStatus } from './doc.js';
import { decodeEscposStatus, encodeEscPos, statusRequest, statusRequests } from './escpos.js';
import { decodeTsplStatus, encodeTspl, tsplStatusQuery } from './tspl.js';
import { fill, type JobFields, type JobKind } from './layout.js';
import type { PrinterOptions } from './options.js';

export type PrinterLanguage = 'escpos' | 'tspl';

export interface PrintJob {
  id: string;
  kind: JobKind;
  fields: JobFields;
  /** the job this one prints again */
  reprintOf?: string;
  at: number;
}

interface JobState {
  pending: PrintJob[];
  /** ids whose bytes are being written (kept until done) */
  sent: string[];
  /** ids printed, newest last, up to rememberJobs */
  done: string[];
  /** jobs found sent-but-not-done at a start: maybe printed, never sent again by themselves */
  uncertain: PrintJob[];
  /** the last printed job of each id still remembered, for reprints */
  printed: PrintJob[];
}

const STATE_KEY = 'print-jobs';
const faultMessages: Record<string, string> = {
  'paper-out': 'printer out of paper',
  'cover-open': 'printer cover open',
  'head-open': 'printer head open',
  offline: 'printer offline',
  error: 'printer reports an error',
};

export class PrinterDriver implements Driver {
  private link: SerialLink | undefined;
  private status: PrinterStatus | undefined;
  private answering = true;
  private waiter: { resolve: (b: number | undefined) => void; timer: NodeJS.Timeout } | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private jobs: JobState;
  private working = false;
  private stopped = true;
  private lastPrint: { id: string; kind: JobKind; at: number; page: PrintPage } | undefined;
  private readonly counts = { printed: 0, reprints: 0, duplicates: 0, uncertain: 0, waits: 0 };
  /** serializes link use: a poll and a job never interleave their bytes */
  private lock: Promise<unknown> = Promise.resolve();
  private wake: (() => void) | undefined;

  constructor(
    private readonly ctx: DriverContext,
    private readonly o: PrinterOptions,
    readonly language: PrinterLanguage,
  ) {
    const saved = ctx.state.get<Partial<JobState>>(STATE_KEY) ?? {};
    this.jobs = { pending: saved.pending ?? [], sent: [], done: saved.done ?? [], uncertain: saved.uncertain ?? [], printed: saved.printed ?? [] };
    for (const id of saved.sent ?? []) {
      const job = this.jobs.pending.find((j) => j.id === id);
      if (!job) continue;
      this.jobs.pending = this.jobs.pending.filter((j) => j.id !== id);
      this.jobs.uncertain.push(job);
      this.counts.uncertain++;
      ctx.log.warn({ job: id, kind: job.kind }, 'print job was being sent when the gateway stopped: not sent again (reprint if it did not print)');
    }
  }

  async start(): Promise<void> {
    this.stopped = false;
    const framing: () => Transform = byteFraming();
    const onFrame = (frame: Buffer | string) => {
      const byte = typeof frame === 'string' ? frame.charCodeAt(0) : frame[0];
      const w = this.waiter;
      if (!w) return this.ctx.fault('unexpected-byte', new CodecError(this.language, 'UNEXPECTED_BYTE', 'a byte nobody asked for', byte.toString(16)));
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(byte);
    };
    const t = this.o.transport;
    if (t.type === 'serial') {
      this.link = openSerialDevice(this.ctx, { transport: t, framing, maxFrameBytes: 1, onFrame, onOpen: () => this.kick() });
    } else {
      const link = new TcpLink({ host: t.host, port: t.port, framing, connectTimeoutMs: t.connectTimeoutMs, backoff: t.backoff });
      const where = { host: t.host, port: t.port };
      link.on('open', () => {
        this.ctx.status('online', where);
        this.kick();
      });
      link.on('close', (reason) => this.ctx.status('offline', { ...where, reason: reason?.message ?? 'closed' }));
      link.on('frame', onFrame);
      link.on('error', (e) => this.ctx.fault('transport', e));
      this.ctx.status('connecting', where);
      link.start();
      this.link = link;
    }
    this.schedulePoll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.wake?.();
    await this.link?.stop();
    this.link = undefined;
  }

  async command(name: string, payload: Record<string, unknown>): Promise<CommandResult> {
    if (name === 'print') return this.enqueue(payload);
    if (name === 'reprint') return this.reprint(payload);
    if (name === 'status') return { ok: true, status: await this.exclusive(() => this.poll()), answering: this.answering };
    return { ok: false, error: 'NOT_SUPPORTED', message: `printer commands: print, reprint, status` };
  }

  describe(): Record<string, unknown> {
    const alarms = this.alarms();
    return {
      language: this.language,
      /** dots across the paper */
      dots: this.language === 'tspl' ? Math.round(this.o.label.widthMm * 8) : receiptDots,
      status: this.status ?? null,
      answering: this.answering,
      alarms,
      queued: this.jobs.pending.length,
      uncertain: this.jobs.uncertain.map((j) => ({ id: j.id, kind: j.kind })),
      counts: { ...this.counts },
      lastPrint: this.lastPrint ?? null,
    };
  }

  /** the page a job prints: its layout filled with its fields */
  page(job: Pick<PrintJob, 'kind' | 'fields'>): PrintPage {
    return fill(this.o.layout[job.kind], job.fields);
  }

  bytes(page: PrintPage): Uint8Array {
    return this.language === 'escpos' ? encodeEscPos(page) : encodeTspl(page, this.o.label);
  }

  private alarms(): { kind: string; message: string }[] {
    if (!this.answering && this.link?.isOpen) return [{ kind: 'printer-not-answering', message: 'printer does not answer its status query' }];
    return this.status ? blockingFaults(this.status).map((f) => ({ kind: `printer-${f}`, message: faultMessages[f] ?? f })) : [];
  }

  private async enqueue(payload: Record<string, unknown>): Promise<CommandResult> {
    const id = typeof payload.id === 'string' && payload.id !== '' ? payload.id : undefined;
    const kind = payload.kind === 'receipt' || payload.kind === 'label' ? payload.kind : undefined;
    if (!id || !kind) return { ok: false, error: 'BAD_JOB', message: 'print needs { id, kind: receipt | label, fields }' };
    if (this.known(id)) {
      this.counts.duplicates++;
      return { ok: true, duplicate: true, id };
    }
    const fields = strings(payload.fields);
    const job: PrintJob = { id, kind, fields, at: this.ctx.now() };
    this.jobs.pending.push(job);
    await this.save();
    this.kick();
    return { ok: true, queued: this.jobs.pending.length, id };
  }

  private async reprint(payload: Record<string, unknown>): Promise<CommandResult> {
    const wanted = typeof payload.id === 'string' ? payload.id : undefined;
    const all = [...this.jobs.printed, ...this.jobs.uncertain];
    const original = wanted ? all.find((j) => j.id === wanted) : this.jobs.printed.at(-1);
    if (!original) return { ok: false, error: 'UNKNOWN_JOB', message: wanted ? `no printed job ${wanted} is remembered` : 'nothing printed yet' };
    const base = original.reprintOf ?? original.id;
    const job: PrintJob = { id: `${base}#reprint-${this.ctx.now()}-${this.counts.reprints + 1}`, kind: original.kind, fields: original.fields, reprintOf: base, at: this.ctx.now() };
    this.counts.reprints++;
    this.jobs.uncertain = this.jobs.uncertain.filter((j) => j.id !== original.id);
    this.jobs.pending.push(job);
    await this.save();
    this.kick();
    return { ok: true, id: job.id, reprintOf: base };
  }

  private known(id: string): boolean {
    return this.jobs.done.includes(id) || this.jobs.pending.some((j) => j.id === id) || this.jobs.uncertain.some((j) => j.id === id);
  }

  private kick(): void {
    this.wake?.();
    if (this.working || this.stopped) return;
    this.working = true;
    void this.work().finally(() => (this.working = false));
  }

  /** prints the queue in order; a job waits while the printer is at fault or away */
  private async work(): Promise<void> {
    while (!this.stopped && this.jobs.pending.length > 0) {
      const job = this.jobs.pending[0];
      const ready = await this.exclusive(async () => {
        if (!this.link?.isOpen) return false;
        const status = await this.poll();
        return status !== undefined && blockingFaults(status).length === 0;
      });
      if (!ready) {
        this.counts.waits++;
        await this.pause(this.o.pollMs);
        continue;
      }
      const page = this.page(job);
      const sentOk = await this.exclusive(async () => {
        this.jobs.sent = [job.id];
        await this.save();
        try {
          await this.link!.write(this.bytes(page));
          return true;
        } catch (e) {
          this.ctx.fault('write', e instanceof Error ? e : new Error(String(e)), { job: job.id });
          return false;
        }
      });
      if (!sentOk) {
        // nothing reached the printer: the job stays first in the queue
        this.jobs.sent = [];
        await this.save();
        await this.pause(this.o.pollMs);
        continue;
      }
      this.jobs.pending.shift();
      this.jobs.sent = [];
      this.jobs.done.push(job.id);
      if (this.jobs.done.length > this.o.rememberJobs) this.jobs.done.splice(0, this.jobs.done.length - this.o.rememberJobs);
      this.jobs.printed = [...this.jobs.printed.filter((j) => j.id !== job.id), job].slice(-20);
      this.counts.printed++;
      this.lastPrint = { id: job.id, kind: job.kind, at: this.ctx.now(), page };
      this.ctx.log.info({ job: job.id, kind: job.kind, reprintOf: job.reprintOf }, 'printed');
      await this.save();
      // after a job: did the printer run out of paper or open during it?
      await this.exclusive(() => this.poll());
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.pollTimer = setTimeout(() => {
      void (this.working ? Promise.resolve() : this.exclusive(() => this.poll())).finally(() => this.schedulePoll());
    }, this.o.pollMs);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** one status query (all the DLE EOT n of ESC/POS, or ESC ! ?); undefined when the printer does not answer */
  private async poll(): Promise<PrinterStatus | undefined> {
    if (!this.link?.isOpen) return undefined;
    let status: PrinterStatus | undefined;
    if (this.language === 'escpos') {
      let merged: PrinterStatus = { ...readyStatus };
      for (const n of statusRequests) {
        const byte = await this.ask(statusRequest(n));
        if (byte === undefined) return this.noAnswer();
        const part = decodeEscposStatus(n, byte);
        if (part instanceof CodecError) {
          this.ctx.fault('status', part);
          return this.noAnswer();
        }
        merged = { ...merged, ...part };
      }
      status = merged;
    } else {
      const byte = await this.ask(tsplStatusQuery);
      if (byte === undefined) return this.noAnswer();
      const s = decodeTsplStatus(byte);
      if (s instanceof CodecError) return this.noAnswer();
      status = s;
    }
    this.answering = true;
    this.status = status;
    if (blockingFaults(status).length === 0) this.wake?.();
    return status;
  }

  private noAnswer(): undefined {
    this.answering = false;
    return undefined;
  }

  private async ask(request: Uint8Array): Promise<number | undefined> {
    const link = this.link;
    if (!link?.isOpen) return undefined;
    const answer = new Promise<number | undefined>((resolve) => {
      this.waiter = { resolve, timer: setTimeout(() => ((this.waiter = undefined), resolve(undefined)), this.o.answerTimeoutMs) };
    });
    try {
      await link.write(request);
    } catch (e) {
      if (this.waiter) {
        clearTimeout(this.waiter.timer);
        this.waiter.resolve(undefined);
        this.waiter = undefined;
      }
      this.ctx.fault('write', e instanceof Error ? e : new Error(String(e)));
    }
    return answer;
  }

  private save(): Promise<void> {
    return this.ctx.state.set(STATE_KEY, this.jobs).catch((e) => this.ctx.fault('state-write', e instanceof Error ? e : new Error(String(e))));
  }
}

function strings(value: unknown): JobFields {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (typeof v === 'string' || typeof v === 'number') out[k] = String(v).slice(0, 200);
  return out;
}
