/**
 * The drop-off and collection flows of one locker bank and its terminal. Input: the
 * terminal's `scan`, `weight`, `code`, `cancel` events and the bank's `locker` events,
 * through handle(). Output: `locker.event` records (`dropped-off`, `collected`) and
 * `consent.missing` / `consent.given` and `customer.feedback` records to the sink, `feedback` and `show` commands to the terminal, opens through the bank port.
 * Events are handled one at a time, in arrival order.
 */
import pino, { type Logger } from 'pino';
import type { DeviceEvent, EventPayload, EventType } from '../../devices/events.js';
import type { CompartmentSize } from '../../devices/locker/options.js';
import type { RecordInput, RecordKind } from '../records.js';
import { classifyWaybill } from '../../devices/scanner/waybill.js';
import { defaultDropOffValidator } from './drop-off-validation.js';
import { CodeLockout } from './lockout.js';
import type { ConsentVerdict } from './consent.js';
import type { CollectionGrant, LockerFlowsOptions, ValidateDropOff } from './ports.js';
import { commandTopic, complaints, feedbackPayload, type Feedback, type Show } from './terminal.js';

type Timer = ReturnType<typeof setTimeout>;
type Scan = EventPayload<'scan'>;
type Weight = EventPayload<'weight'>;

type Session =
  | { kind: 'idle' }
  | { kind: 'weigh'; scan: Scan; timer: Timer }
  /** a drop-off refused for want of consent, waiting for the customer's consent code */
  | { kind: 'consent'; scan: Scan; waybill: string; timer: Timer }
  | { kind: 'drop'; compartment: string; waybill: string; grams?: number; size: CompartmentSize; cancelled: boolean; timer: Timer }
  | {
      kind: 'collect';
      courier: string;
      pending: string[];
      active: Set<string>;
      waybills: Map<string, string>;
      collected: string[];
      failed: string[];
      /** compartments left shut for want of the customer's consent */
      refused: string[];
      timer: Timer;
    };

const idle: Session = { kind: 'idle' };

/** the drop-off or collection the customer may rate, until the window ends or the next one starts */
interface Rateable {
  after: 'dropped-off' | 'collected';
  waybills: string[];
  compartments: string[];
  courier?: string;
  at: number;
  timer: Timer;
}

function isType<T extends EventType>(event: DeviceEvent, type: T): event is DeviceEvent<T> {
  return event.type === type;
}

export class LockerFlows {
  private session: Session = idle;
  private chain: Promise<void> = Promise.resolve();
  private lastWeight: { weight: Weight; at: number } | undefined;
  private readonly lockout: CodeLockout;
  private readonly isWaybill: (code: string) => boolean;
  private lockoutTimer: Timer | undefined;
  private running = false;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly validate: ValidateDropOff;
  private readonly weightWaitMs: number;
  private readonly dropOffTimeoutMs: number;
  private readonly collectionTimeoutMs: number;
  private readonly consentWaitMs: number;
  private readonly feedbackWindowMs: number;
  private rateable: Rateable | undefined;

  constructor(private readonly o: LockerFlowsOptions) {
    this.log = (o.log ?? pino({ level: 'silent' })).child({ component: 'locker-flows', bank: o.bankId, terminal: o.terminalId });
    this.now = o.now ?? Date.now;
    this.validate = o.validateDropOff ?? defaultDropOffValidator(o.bank);
    this.weightWaitMs = o.weightWaitMs ?? 15_000;
    this.dropOffTimeoutMs = o.dropOffTimeoutMs ?? 120_000;
    this.collectionTimeoutMs = o.collectionTimeoutMs ?? 180_000;
    this.consentWaitMs = o.consentWaitMs ?? 120_000;
    this.feedbackWindowMs = o.feedbackWindowMs ?? 300_000;
    this.lockout = o.lockout ?? new CodeLockout({ maxWrongCodes: o.maxWrongCodes, lockoutMs: o.lockoutMs, now: this.now });
    this.isWaybill = o.isWaybill ?? ((code) => classifyWaybill(code).valid);
  }

  async start(): Promise<void> {
    this.running = true;
    // a lockout outlives a restart: the screen says so until it ends
    const until = this.lockedUntil();
    if (until > 0) return this.showLockedOut(until);
    await this.showIdle();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.endSession();
    this.endRating();
    clearTimeout(this.lockoutTimer);
    await this.chain;
  }

  /** one event from the bus; resolves when it has been handled */
  handle(event: DeviceEvent): Promise<void> {
    const run = this.chain.then(() => this.dispatch(event));
    this.chain = run.catch((error: unknown) => this.log.error({ err: error, type: event.type }, 'locker flow step failed'));
    return this.chain;
  }

  describe(): Record<string, unknown> {
    const s = this.session;
    return {
      session: s.kind,
      compartment: s.kind === 'drop' ? s.compartment : undefined,
      compartments: s.kind === 'collect' ? [...s.active, ...s.pending] : undefined,
      wrongCodes: this.lockout.wrongCodes(this.o.terminalId),
      lockedUntil: this.lockedUntil() > 0 ? new Date(this.lockedUntil()).toISOString() : undefined,
    };
  }

  private async dispatch(event: DeviceEvent): Promise<void> {
    if (!this.running) return;
    if (event.deviceId === this.o.bankId) {
      if (isType(event, 'locker') && event.payload.door === 'closed') await this.onDoorClosed(event.payload.compartment, event.payload.occupied);
      return;
    }
    if (event.deviceId !== this.o.terminalId) return;
    if (isType(event, 'scan')) await this.onScan(event.payload);
    else if (isType(event, 'weight')) await this.onWeight(event.payload);
    else if (isType(event, 'code')) await this.onCode(event.payload.code);
    else if (isType(event, 'cancel')) await this.onCancel();
    else if (isType(event, 'rating')) await this.onRating(event.payload);
  }

  // ---- drop-off ----

  private async onScan(scan: Scan): Promise<void> {
    if (await this.refusedWhileLockedOrBusy()) return;
    this.endRating();
    const grant = await this.o.codes.match(this.o.bankId, scan.code, this.now());
    if (grant) return this.startCollection(grant);
    // a scan that is neither a code nor a parcel label is a wrong code, as if typed
    if (!this.isWaybill(scan.code.trim())) {
      return this.wrongCode({ result: 'rejected', text: 'Not a parcel label or a valid collection code', reasons: [scan.code.trim() === '' ? 'WAYBILL_MISSING' : 'WAYBILL_INVALID'] });
    }
    const waybill = scan.code.trim();
    const consent = this.consentOf(waybill);
    if (!consent.ok) return this.refuseForConsent(scan, waybill, consent);
    return this.weighThenDropOff(scan);
  }

  /** a drop-off the customer did not consent to: refused, on record, and the terminal asks for their consent code */
  private async refuseForConsent(scan: Scan, waybill: string, consent: Extract<ConsentVerdict, { ok: false }>): Promise<void> {
    this.endSession();
    await this.recordConsentMissing('drop-off', waybill, consent);
    await this.feedback({ result: 'rejected', text: consent.text, reasons: ['CONSENT_MISSING'] });
    const timer = setTimeout(() => void this.enqueue(() => this.onConsentTimeout()), this.consentWaitMs);
    this.session = { kind: 'consent', scan, waybill, timer };
    await this.show({ screen: 'consent', text: "Enter the customer's consent code, or cancel" });
  }

  private async onConsentTimeout(): Promise<void> {
    if (this.session.kind !== 'consent') return;
    this.endSession();
    await this.showIdle();
  }

  private async weighThenDropOff(scan: Scan): Promise<void> {
    if (!this.o.hasScale) return this.dropOff(scan, undefined);
    const recent = this.lastWeight && this.now() - this.lastWeight.at <= this.weightWaitMs ? this.lastWeight.weight : undefined;
    if (recent) return this.dropOff(scan, recent);
    this.endSession();
    const timer = setTimeout(() => void this.enqueue(() => this.onWeighTimeout()), this.weightWaitMs);
    this.session = { kind: 'weigh', scan, timer };
    await this.show({ screen: 'weigh', text: 'Put the parcel on the scale' });
  }

  private async onWeight(weight: Weight): Promise<void> {
    if (!weight.stable) return;
    if (weight.grams <= 0) {
      this.lastWeight = undefined;
      return;
    }
    this.lastWeight = { weight, at: this.now() };
    if (this.session.kind === 'weigh') await this.dropOff(this.session.scan, weight);
  }

  private async onWeighTimeout(): Promise<void> {
    if (this.session.kind !== 'weigh') return;
    this.endSession();
    await this.feedback({ result: 'rejected', text: 'No stable weight: scan the parcel again', reasons: ['NO_WEIGHT'] });
    await this.showIdle();
  }

  private async dropOff(scan: Scan, weight: Weight | undefined): Promise<void> {
    this.endSession();
    this.lastWeight = undefined;
    const waybill = scan.code.trim();
    const verdict = await this.validate(scan, weight);
    if (!verdict.ok) {
      await this.feedback({ result: 'rejected', text: 'This parcel cannot be dropped off here', reasons: verdict.reasons });
      return this.showIdle();
    }
    const size = verdict.size ?? 'S';
    const free = this.o.bank.findFree(size);
    if (!free || !(await this.o.bank.reserve(free.id))) {
      await this.feedback({ result: 'rejected', text: 'No free compartment fits this parcel', reasons: ['NO_COMPARTMENT_FITS'] });
      return this.showIdle();
    }
    await this.show({ screen: 'drop-off', compartment: free.id, text: `Compartment ${free.id} is opening` });
    const opened = await this.o.bank.open(free.id);
    if (!opened.ok) {
      await this.o.bank.free(free.id);
      await this.feedback({ result: 'error', text: 'The compartment did not open', compartment: free.id, reasons: [String(opened.error)] });
      return this.showIdle();
    }
    const timer = setTimeout(() => void this.enqueue(() => this.onDropOffTimeout()), this.dropOffTimeoutMs);
    this.session = { kind: 'drop', compartment: free.id, waybill, grams: weight?.grams, size, cancelled: false, timer };
    this.log.info({ compartment: free.id, waybill }, 'drop-off compartment open');
    await this.show({ screen: 'drop-off', compartment: free.id, text: `Put the parcel in compartment ${free.id} and close the door` });
  }

  private async onDoorClosed(compartment: string, occupied: boolean | undefined): Promise<void> {
    const s = this.session;
    if (s.kind === 'drop' && s.compartment === compartment) return this.finishDropOff(s, occupied);
    if (s.kind === 'collect' && s.active.has(compartment)) return this.finishCollection(s, compartment, occupied);
  }

  /** the IR sensor decides whether a parcel is inside; without one, a cancel means no parcel */
  private async finishDropOff(s: Extract<Session, { kind: 'drop' }>, occupied: boolean | undefined): Promise<void> {
    this.endSession();
    if (!(occupied ?? !s.cancelled)) {
      await this.o.bank.free(s.compartment);
      await this.feedback({ result: 'info', text: `No parcel in ${s.compartment}: drop-off cancelled`, compartment: s.compartment });
      return this.showIdle();
    }
    if (!(await this.o.bank.occupy(s.compartment, { waybill: s.waybill, grams: s.grams }))) {
      this.log.warn({ compartment: s.compartment }, 'compartment was not reserved any more when its door closed with a parcel');
    }
    const recorded = await this.record({
      event: 'dropped-off',
      compartment: s.compartment,
      waybill: s.waybill,
      grams: s.grams ?? null,
      size: s.size,
    });
    await this.feedback(
      recorded
        ? { result: 'accepted', text: `Parcel dropped off in ${s.compartment}`, compartment: s.compartment }
        : { result: 'error', text: 'Parcel is in the locker but could not be recorded', compartment: s.compartment, reasons: ['NOT_RECORDED'] },
    );
    await this.offerRating({ after: 'dropped-off', waybills: [s.waybill], compartments: [s.compartment] });
  }

  private async onDropOffTimeout(): Promise<void> {
    const s = this.session;
    if (s.kind !== 'drop') return;
    const view = this.o.bank.compartment(s.compartment);
    if (view?.door === 'closed') return this.finishDropOff(s, view.occupied);
    this.endSession();
    await this.o.bank.free(s.compartment);
    await this.feedback({ result: 'error', text: 'Drop-off timed out', compartment: s.compartment, reasons: ['TIMEOUT'] });
    await this.showIdle();
  }

  private async onCancel(): Promise<void> {
    const s = this.session;
    if (s.kind === 'weigh' || s.kind === 'consent') {
      this.endSession();
      await this.feedback({ result: 'info', text: 'Cancelled' });
      return this.showIdle();
    }
    if (s.kind === 'drop') {
      s.cancelled = true;
      await this.feedback({ result: 'info', text: `Take your parcel and close ${s.compartment}`, compartment: s.compartment });
      return;
    }
    if (s.kind === 'collect') {
      s.pending = [];
      if (s.active.size === 0) await this.endCollection(s);
    }
  }

  // ---- collection ----

  private async onCode(code: string): Promise<void> {
    if (await this.refusedWhileLockedOrBusy()) return;
    this.endRating();
    const s = this.session;
    if (s.kind === 'consent' && this.o.consent && (await this.o.consent.redeem(s.waybill, code, this.now()))) {
      this.endSession();
      await this.lockout.right(this.o.terminalId);
      const task = this.consentOf(s.waybill);
      await this.recordOf('consent.given', {
        waybill: s.waybill,
        taskId: task.task?.taskId ?? null,
        taskKit: task.task?.kit ?? null,
        handover: task.task?.handover ?? null,
        via: 'terminal-code',
      });
      await this.feedback({ result: 'info', text: 'Consent recorded' });
      return this.weighThenDropOff(s.scan);
    }
    const grant = await this.o.codes.match(this.o.bankId, code, this.now());
    if (grant) return this.startCollection(grant);
    await this.wrongCode({ result: 'rejected', text: 'Wrong code', reasons: ['WRONG_CODE'] });
  }

  /** Counts a wrong code (stored before it is answered) and answers it, or starts the lockout. */
  private async wrongCode(refusal: Feedback): Promise<void> {
    const { attemptsLeft, lockedUntil } = await this.lockout.wrong(this.o.terminalId, this.o.bankId);
    if (lockedUntil === undefined) return this.feedback({ ...refusal, attemptsLeft });
    const until = new Date(lockedUntil).toISOString();
    this.log.warn({ until }, 'terminal locked out after too many wrong collection codes');
    // a drop-off waiting for a consent code ends: its timeout must not cover the locked-out screen
    this.endSession();
    await this.feedback({ result: 'locked-out', text: 'Too many wrong codes', reasons: ['WRONG_CODE', 'LOCKED_OUT'], until });
    await this.showLockedOut(lockedUntil);
  }

  private lockedUntil(): number {
    return this.lockout.lockedUntil(this.o.terminalId, this.o.bankId);
  }

  private async showLockedOut(lockedUntil: number): Promise<void> {
    clearTimeout(this.lockoutTimer);
    this.lockoutTimer = setTimeout(() => void this.enqueue(() => this.showIdle()), Math.max(0, lockedUntil - this.now()));
    await this.show({ screen: 'locked-out', text: 'Too many wrong codes: try again later', until: new Date(lockedUntil).toISOString() });
  }

  private async startCollection(grant: CollectionGrant): Promise<void> {
    this.endSession();
    await this.lockout.right(this.o.terminalId);
    const mine = this.o.bank
      .list()
      .filter((c) => c.status === 'occupied' && c.parcel && (!grant.waybills || grant.waybills.includes(c.parcel.waybill)));
    // a parcel whose customer did not consent to the locker stays in it, on record
    const wanted: typeof mine = [];
    const refused: string[] = [];
    for (const c of mine) {
      const consent = this.consentOf(c.parcel?.waybill ?? '');
      if (consent.ok) wanted.push(c);
      else {
        refused.push(c.id);
        await this.recordConsentMissing('collection', c.parcel?.waybill ?? '', consent, { compartment: c.id, courier: grant.courier });
      }
    }
    if (wanted.length === 0) {
      await this.feedback(
        refused.length > 0
          ? { result: 'rejected', text: 'The customers have not agreed to a locker for these parcels', reasons: refused.map((id) => `CONSENT_MISSING:${id}`) }
          : { result: 'info', text: 'Nothing to collect here' },
      );
      return this.showIdle();
    }
    const timer = setTimeout(() => void this.enqueue(() => this.onCollectionTimeout()), this.collectionTimeoutMs);
    const waybills = new Map(wanted.map((c) => [c.id, c.parcel?.waybill ?? '']));
    const s: Extract<Session, { kind: 'collect' }> = {
      kind: 'collect',
      courier: grant.courier,
      pending: wanted.map((c) => c.id),
      active: new Set(),
      waybills,
      collected: [],
      failed: [],
      refused,
      timer,
    };
    this.session = s;
    this.log.info({ courier: grant.courier, compartments: s.pending }, 'collection started');
    await this.show({ screen: 'collection', compartments: [...s.pending], text: `${s.pending.length} parcel(s) to collect` });
    await this.openNext(s);
  }

  private async openNext(s: Extract<Session, { kind: 'collect' }>): Promise<void> {
    while (this.session === s && s.active.size === 0 && s.pending.length > 0) {
      const batch = this.o.collectMode === 'together' ? s.pending.splice(0) : s.pending.splice(0, 1);
      for (const id of batch) {
        await this.o.bank.markCollecting(id);
        const opened = await this.o.bank.open(id);
        if (opened.ok) {
          s.active.add(id);
          await this.show({ screen: 'collection', compartment: id, text: `Take the parcel from ${id} and close the door` });
        } else {
          await this.o.bank.markOccupied(id);
          s.failed.push(id);
          await this.feedback({ result: 'error', text: `${id} did not open`, compartment: id, reasons: [String(opened.error)] });
        }
      }
    }
    if (this.session === s && s.active.size === 0) await this.endCollection(s);
  }

  private async finishCollection(s: Extract<Session, { kind: 'collect' }>, id: string, occupied: boolean | undefined): Promise<void> {
    s.active.delete(id);
    if (occupied === true) {
      await this.o.bank.markOccupied(id);
      s.failed.push(id);
      await this.feedback({ result: 'info', text: `The parcel is still in ${id}`, compartment: id, reasons: ['STILL_INSIDE'] });
    } else {
      const waybill = s.waybills.get(id) ?? '';
      await this.o.bank.free(id);
      s.collected.push(id);
      const recorded = await this.record({ event: 'collected', compartment: id, waybill, courier: s.courier });
      await this.o.consent?.forget(waybill);
      if (!recorded) await this.feedback({ result: 'error', text: `Collection from ${id} could not be recorded`, reasons: ['NOT_RECORDED'] });
    }
    if (s.active.size === 0) await this.openNext(s);
  }

  private async onCollectionTimeout(): Promise<void> {
    const s = this.session;
    if (s.kind !== 'collect') return;
    for (const id of s.active) {
      await this.o.bank.markOccupied(id);
      s.failed.push(id);
    }
    s.active.clear();
    s.pending = [];
    await this.endCollection(s, 'TIMEOUT');
  }

  private async endCollection(s: Extract<Session, { kind: 'collect' }>, reason?: string): Promise<void> {
    if (this.session !== s) return;
    this.endSession();
    const reasons = [...(reason ? [reason] : []), ...s.failed.map((id) => `NOT_COLLECTED:${id}`), ...s.refused.map((id) => `CONSENT_MISSING:${id}`)];
    await this.feedback({
      result: s.collected.length > 0 && reasons.length === 0 ? 'accepted' : s.collected.length > 0 ? 'info' : 'error',
      text: `Collected ${s.collected.length} parcel(s)`,
      reasons: reasons.length > 0 ? reasons : undefined,
    });
    if (s.collected.length === 0) return this.showIdle();
    await this.offerRating({ after: 'collected', waybills: s.collected.map((id) => s.waybills.get(id) ?? ''), compartments: [...s.collected], courier: s.courier });
  }

  // ---- customer feedback ----

  /** after a drop-off or collection the terminal offers a 1-5 rating and the complaint categories */
  private async offerRating(what: Omit<Rateable, 'at' | 'timer'>): Promise<void> {
    this.endRating();
    const timer = setTimeout(() => void this.enqueue(() => this.onRatingWindowEnd()), this.feedbackWindowMs);
    this.rateable = { ...what, at: this.now(), timer };
    await this.show({ screen: 'rate', text: 'How did it go? Rate it 1 to 5, or tell us what went wrong', scores: [1, 2, 3, 4, 5], complaints });
  }

  private async onRatingWindowEnd(): Promise<void> {
    if (!this.rateable) return;
    this.endRating();
    if (this.session.kind === 'idle') await this.showIdle();
  }

  private endRating(): void {
    if (this.rateable) clearTimeout(this.rateable.timer);
    this.rateable = undefined;
  }

  private async onRating(rating: EventPayload<'rating'>): Promise<void> {
    const r = this.rateable;
    if (!r || this.session.kind !== 'idle') {
      await this.feedback({ result: 'rejected', text: 'Nothing to rate: a rating follows a drop-off or a collection', reasons: ['NOTHING_TO_RATE'] });
      return;
    }
    this.endRating();
    const now = this.now();
    const recorded = await this.recordOf('customer.feedback', {
      score: rating.score ?? null,
      complaint: rating.complaint ?? null,
      note: rating.note ?? null,
      after: r.after,
      waybills: r.waybills,
      compartments: r.compartments,
      ...(r.courier ? { courier: r.courier } : {}),
      eventAt: new Date(r.at).toISOString(),
      sinceEventMs: Math.max(0, now - r.at),
    });
    await this.feedback(
      recorded
        ? { result: 'accepted', text: rating.complaint ? 'Thank you: your complaint goes to the courier company now' : 'Thank you for your rating' }
        : { result: 'error', text: 'Your feedback could not be recorded', reasons: ['NOT_RECORDED'] },
    );
    await this.showIdle();
  }

  // ---- shared ----

  private async refusedWhileLockedOrBusy(): Promise<boolean> {
    const lockedUntil = this.lockedUntil();
    if (lockedUntil > 0) {
      const until = new Date(lockedUntil).toISOString();
      await this.feedback({ result: 'locked-out', text: 'Too many wrong codes: try again later', reasons: ['LOCKED_OUT'], until });
      return true;
    }
    if (this.session.kind === 'drop' || this.session.kind === 'collect') {
      await this.feedback({ result: 'rejected', text: 'Finish the current step first', reasons: ['BUSY'] });
      return true;
    }
    return false;
  }

  private consentOf(waybill: string): ConsentVerdict {
    return this.o.consent?.check(waybill) ?? { ok: true };
  }

  private recordConsentMissing(action: 'drop-off' | 'collection', waybill: string, v: Extract<ConsentVerdict, { ok: false }>, extra: Record<string, unknown> = {}): Promise<boolean> {
    return this.recordOf('consent.missing', {
      action,
      waybill,
      taskId: v.task.taskId,
      taskKit: v.task.kit,
      handover: v.task.handover ?? null,
      consent: v.task.consent ?? null,
      ...extra,
    });
  }

  private record(body: Record<string, unknown>): Promise<boolean> {
    return this.recordOf('locker.event', body);
  }

  private async recordOf(kind: RecordKind, body: Record<string, unknown>): Promise<boolean> {
    const input: RecordInput = {
      kind,
      // feedback has a stream of its own: its lane is not the locker events'
      stream: kind === 'customer.feedback' ? `feedback:${this.o.bankId}` : this.o.bankId,
      kit: this.o.kit,
      devices: [this.o.bankId, this.o.terminalId],
      body: { ...body, bank: this.o.bankId, terminal: this.o.terminalId, at: new Date(this.now()).toISOString() },
    };
    try {
      await this.o.sink.append(input);
      return true;
    } catch (error) {
      this.log.error({ err: error, kind, event: body.event, compartment: body.compartment }, 'locker record refused');
      return false;
    }
  }

  private endSession(): void {
    const s = this.session;
    if (s.kind !== 'idle') clearTimeout(s.timer);
    this.session = idle;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.chain.then(() => (this.running ? step() : undefined));
    this.chain = run.catch((error: unknown) => this.log.error({ err: error }, 'locker flow timer step failed'));
    return this.chain;
  }

  private showIdle(): Promise<void> {
    return this.show({ screen: 'idle', text: 'Scan a parcel to drop it off, or enter a collection code' });
  }

  private async feedback(feedback: Feedback): Promise<void> {
    await this.o.publish(commandTopic(this.o.terminalId, 'feedback'), feedbackPayload(feedback));
  }

  private async show(show: Show): Promise<void> {
    await this.o.publish(commandTopic(this.o.terminalId, 'show'), { ...show });
  }
}
