/**
 * What the locker drop-off and collection flows need from the rest of the gateway, as
 * ports: the flows import no gateway or cloud-sync code, only these shapes.
 */
import type { Logger } from 'pino';
import type { CommandResult } from '../../devices/driver.js';
import type { EventPayload } from '../../devices/events.js';
import type { CompartmentSize, CompartmentView } from '../../devices/locker/index.js';
import type { RecordSink } from '../records.js';
import type { CodeLockout } from './lockout.js';
import type { ConsentPort } from './consent.js';

/** the locker bank driver's methods the flows use (LockerBank implements it) */
export interface LockerBankPort {
  list(): CompartmentView[];
  compartment(id: string): CompartmentView | undefined;
  findFree(size: CompartmentSize): CompartmentView | undefined;
  findByWaybill(waybill: string): CompartmentView | undefined;
  reserve(id: string): Promise<boolean>;
  occupy(id: string, parcel: { waybill: string; grams?: number }): Promise<boolean>;
  markCollecting(id: string): Promise<boolean>;
  markOccupied(id: string): Promise<boolean>;
  free(id: string): Promise<boolean>;
  /** unlocks once and answers once the door sensor shows the door open */
  open(id: string): Promise<CommandResult>;
}

export interface DropOffVerdict {
  ok: boolean;
  /** reason codes, e.g. 'WAYBILL_MISSING', 'ALREADY_IN_LOCKER', 'NO_COMPARTMENT_FITS' */
  reasons: string[];
  /** the smallest compartment size the parcel needs; default 'S' */
  size?: CompartmentSize;
}

/** the drop-off check (the rules engine plugs in here) */
export type ValidateDropOff = (
  scan: EventPayload<'scan'>,
  weight: EventPayload<'weight'> | undefined,
) => DropOffVerdict | Promise<DropOffVerdict>;

/** what a valid collection code grants */
export interface CollectionGrant {
  courier: string;
  bank: string;
  /** the parcels this courier collects here; absent: every occupied compartment of the bank */
  waybills?: string[];
  expiresAt: string;
}

/** collection codes per courier and bank, set by dispatch's task downlink */
export interface CollectionCodeStore {
  /** the grant a code opens at this bank now; undefined for a wrong or expired code */
  match(bank: string, code: string, nowMs: number): CollectionGrant | undefined | Promise<CollectionGrant | undefined>;
}

/** publishes a command to a device on the bus: cg/v1/devices/{terminalId}/commands/{feedback|show} */
export type Publish = (topic: string, payload: Record<string, unknown>) => void | Promise<void>;

export interface LockerFlowsOptions {
  /** the locker bank's device id (its locker events come from here) */
  bankId: string;
  /** the terminal's device id (scan, weight, code, cancel come from here) */
  terminalId: string;
  kit?: string;
  bank: LockerBankPort;
  sink: RecordSink;
  publish: Publish;
  codes: CollectionCodeStore;
  /** the customers' consent to a locker, per parcel; absent: every parcel may use the locker */
  consent?: ConsentPort;
  /** how long a refused drop-off waits for the customer's consent code; default 120 s */
  consentWaitMs?: number;
  /** how long after a drop-off or collection the terminal takes the customer's rating; default 5 min */
  feedbackWindowMs?: number;
  /** default: defaultDropOffValidator(bank) */
  validateDropOff?: ValidateDropOff;
  log?: Logger;
  /** wall clock, ms since epoch; default Date.now */
  now?: () => number;
  /** the terminal has a scale: wait for a stable weight before validating; default false */
  hasScale?: boolean;
  /** how long to wait for a stable weight after a scan (and how old one may be); default 15 s */
  weightWaitMs?: number;
  /** a drop-off with no closed door by then is given up and the compartment freed; default 120 s */
  dropOffTimeoutMs?: number;
  /** a collection whose doors are not all closed by then ends; default 180 s */
  collectionTimeoutMs?: number;
  /** open a courier's compartments one after another (default) or together */
  collectMode?: 'sequential' | 'together';
  /** wrong codes before the lockout; default 5 (for the default lockout) */
  maxWrongCodes?: number;
  /** how long the terminal refuses codes after too many wrong ones; default 5 min (for the default lockout) */
  lockoutMs?: number;
  /**
   * the wrong-code counts, shared by every terminal of the gateway and stored in its data
   * folder; default one in memory built from maxWrongCodes and lockoutMs
   */
  lockout?: CodeLockout;
  /** whether a scanned code is a parcel label (else a scan that opens nothing is a wrong collection code); default a valid waybill */
  isWaybill?: (code: string) => boolean;
}
