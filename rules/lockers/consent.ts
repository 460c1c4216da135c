/**
 * The customer's consent to a locker or a station: a parcel whose task (from dispatch)
 * did not get it is neither dropped off nor collected at a locker. Consent comes with the
 * task (`handover` and `consent`), or is given at the terminal with a code dispatch sent
 * the customer (a `consent.code` downlink item; only an HMAC of the code is kept). A
 * parcel no task expects is not dispatch's to refuse: a sender's own drop-off.
 */
import { HashedCodes, type KeyValueStore } from './collection-codes.js';

export const handovers = ['in-person', 'locker', 'station', 'neighbour'] as const;
export type Handover = (typeof handovers)[number];

/** what the parcel's task says about its handover */
export interface ParcelTask {
  taskId: string;
  kit: string;
  handover?: Handover;
  consent?: boolean;
}

export type ConsentVerdict =
  | { ok: true; task?: ParcelTask; via?: 'task' | 'terminal' }
  | { ok: false; task: ParcelTask; text: string };

/** the decision alone: a task's locker/station handover with consent, or consent given at the terminal */
export function lockerConsent(task: ParcelTask | undefined, givenAtTerminal: boolean): ConsentVerdict {
  if (!task) return { ok: true };
  if (givenAtTerminal) return { ok: true, task, via: 'terminal' };
  const lockerLike = task.handover === 'locker' || task.handover === 'station';
  if (lockerLike && task.consent === true) return { ok: true, task, via: 'task' };
  const text = lockerLike
    ? 'The customer has not agreed to a locker for this parcel: enter their consent code, or hand it over in person'
    : `The customer asked for ${task.handover ?? 'in-person'} handover: enter their consent code to use the locker`;
  return { ok: false, task, text };
}

export interface ConsentGrant {
  waybill: string;
  expiresAt: string;
}

export interface ConsentCodeInput extends ConsentGrant {
  /** the code as dispatch sent it; hashed at once */
  code: string;
}

/** the consent of each parcel: its task's, or the one given at a terminal */
export interface ConsentPort {
  check(waybill: string): ConsentVerdict;
  /** a consent code typed at the terminal for this parcel: true (and remembered) when it is the right one */
  redeem(waybill: string, code: string, nowMs: number): Promise<boolean>;
  /** the parcel left the locker: its terminal consent is no longer needed */
  forget(waybill: string): Promise<void>;
}

export interface ConsentBookOptions {
  secret: string | Uint8Array;
  /** the parcel's task (the task store) */
  taskOf(waybill: string): ParcelTask | undefined;
  store?: KeyValueStore;
  /** how many consents given at terminals are kept, oldest forgotten first; default 10 000 */
  maxGiven?: number;
}

/** Consent codes from dispatch (hashed, one per parcel) and the consents given with them. */
export class ConsentBook extends HashedCodes<ConsentGrant> implements ConsentPort {
  private readonly given: Map<string, string>;

  constructor(private readonly o: ConsentBookOptions) {
    super(o.secret, o.store, 'consentCodes', (g) => g.waybill, (g) => g.waybill);
    const saved = o.store?.get<Record<string, string>>('consentGiven');
    this.given = new Map(saved && typeof saved === 'object' ? Object.entries(saved) : []);
  }

  check(waybill: string): ConsentVerdict {
    return lockerConsent(this.o.taskOf(waybill), this.given.has(waybill));
  }

  async redeem(waybill: string, code: string, nowMs: number): Promise<boolean> {
    if (!this.find(waybill, code, nowMs)) return false;
    this.given.set(waybill, new Date(nowMs).toISOString());
    const max = this.o.maxGiven ?? 10_000;
    for (const oldest of this.given.keys()) {
      if (this.given.size <= max) break;
      this.given.delete(oldest);
    }
    // a code is used once
    await this.remove((g) => g.waybill === waybill);
    await this.saveGiven();
    return true;
  }

  async forget(waybill: string): Promise<void> {
    if (this.given.delete(waybill)) await this.saveGiven();
  }

  private async saveGiven(): Promise<void> {
    await this.o.store?.set('consentGiven', Object.fromEntries(this.given));
  }
}
