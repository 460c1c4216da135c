/**
 * Locker banks with their drop-point terminals: one LockerFlows per terminal whose config
 * names a bank (`lockerBank: bank-1`), fed with that terminal's events and the bank's door
 * events. Collection codes arrive from dispatch; only an HMAC of each is kept.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { CodeLockout, ConsentBook, LockerFlows, HashedCollectionCodes, type CollectionCodeInput, type ConsentCodeInput, type ParcelTask } from '../rules/lockers/index.js';
import type { LockerBankPort } from '../rules/lockers/ports.js';
import type { RecordSink } from '../rules/records.js';
import type { Config } from './config.js';
import type { Broker } from './broker.js';
import type { EventBus } from './event-bus.js';
import type { Component, DeviceHost } from './runtime.js';
import { StateFile } from './state-file.js';

export interface LockerComponentOptions {
  config: Config;
  /** the runtime, whose device manager exists once the gateway has started */
  host: DeviceHost;
  broker: Broker;
  bus: EventBus;
  sink: RecordSink;
  log: Logger;
  now: () => number;
  /** the task expecting a parcel, as far as its handover and consent go (the task store) */
  taskOf?: (waybill: string) => ParcelTask | undefined;
}

interface LockerState {
  secret?: string;
  [key: string]: unknown;
}

/** Terminals of the config that run a locker bank: { terminal, bank, hasScale }. */
export function lockerTerminals(config: Config): { terminal: string; bank: string; kit: string; hasScale: boolean }[] {
  return config.devices
    .filter((d) => d.kind === 'terminal' && typeof d.lockerBank === 'string')
    .map((d) => ({ terminal: d.id, bank: d.lockerBank as string, kit: d.kit, hasScale: d.hasScale === true }));
}

export class LockerComponent implements Component {
  readonly name = 'lockers';
  private readonly flows = new Map<string, LockerFlows>();
  private codes: HashedCollectionCodes | undefined;
  private consent: ConsentBook | undefined;

  constructor(private readonly o: LockerComponentOptions) {}

  /** Device ids whose events belong to a locker flow, not to the pickup pipeline. */
  ownedDevices(): Set<string> {
    return new Set(lockerTerminals(this.o.config).flatMap((t) => [t.terminal, t.bank]));
  }

  async start(): Promise<void> {
    // every door opened by a command on the bus is on record: who, when, which compartment, what happened
    this.o.bus.on('lockers', 'device-command', (c) => {
      if (c.kind !== 'locker' || c.name !== 'open') return;
      this.o.sink
        .append({
          kind: 'locker.command',
          stream: c.deviceId,
          kit: c.kit,
          devices: [c.deviceId],
          body: {
            command: c.name,
            id: typeof c.payload.id === 'string' ? c.payload.id : null,
            compartment: c.payload.compartment ?? null,
            by: c.by,
            ok: c.result.ok,
            ...(c.result.error ? { error: c.result.error } : {}),
            at: new Date(c.at).toISOString(),
          },
        })
        .catch((err: Error) => this.o.log.error({ err, device: c.deviceId, command: c.payload.id }, 'locker command record refused'));
    });
    const pairs = lockerTerminals(this.o.config);
    if (pairs.length === 0) return;
    const state = await StateFile.open<LockerState>(path.join(this.o.config.gateway.dataDir, 'lockers.json'), {});
    if (!state.data.secret) await state.update((s) => void (s.secret = randomBytes(32).toString('base64')));
    const store = {
      get: <T>(key: string) => state.data[key] as T | undefined,
      set: (key: string, value: unknown) => state.update((s) => void (s[key] = value)),
    };
    const secret = Buffer.from(state.data.secret!, 'base64');
    this.codes = new HashedCollectionCodes(secret, store);
    const taskOf = this.o.taskOf ?? (() => undefined);
    this.consent = new ConsentBook({ secret, store, taskOf });
    // one count of wrong codes for every terminal and bank, kept across restarts
    const lockout = new CodeLockout({ store, now: this.o.now });
    for (const p of pairs) {
      const bank = this.o.host.devices.driver(p.bank) as unknown as LockerBankPort | undefined;
      if (!bank || typeof bank.findFree !== 'function') {
        this.o.log.error({ terminal: p.terminal, bank: p.bank }, 'terminal names a locker bank that is not a configured kerong-cu16 device');
        continue;
      }
      const flows = new LockerFlows({
        bankId: p.bank,
        terminalId: p.terminal,
        kit: p.kit,
        bank,
        sink: this.o.sink,
        publish: (topic, payload) => this.o.broker.publish(topic, payload, { qos: 1 }),
        codes: this.codes,
        consent: this.consent,
        lockout,
        hasScale: p.hasScale,
        log: this.o.log.child({ terminal: p.terminal, bank: p.bank }),
        now: this.o.now,
      });
      await flows.start();
      this.flows.set(p.terminal, flows);
    }
    this.o.bus.on('lockers', 'device-event', (e) => {
      for (const [terminal, flows] of this.flows) {
        const bankId = pairs.find((x) => x.terminal === terminal)!.bank;
        if (e.deviceId === terminal || e.deviceId === bankId) {
          flows.handle(e).catch((err: Error) => this.o.log.error({ err, device: e.deviceId }, 'locker flow failed on an event'));
        }
      }
    });
  }

  async stop(): Promise<void> {
    this.o.bus.off('lockers');
    for (const f of this.flows.values()) await f.stop();
  }

  /** A collection code from dispatch's downlink. */
  async setCollectionCode(code: CollectionCodeInput): Promise<void> {
    if (!this.codes) throw new Error('no locker bank runs here');
    await this.codes.set(code);
  }

  /** A consent code from dispatch: the customer agrees to a locker for this parcel by typing it at a terminal. */
  async setConsentCode(code: ConsentCodeInput): Promise<void> {
    if (!this.consent) throw new Error('no locker bank runs here');
    await this.consent.set(code);
  }

  get running(): boolean {
    return this.flows.size > 0;
  }

  status(): Record<string, unknown> {
    return Object.fromEntries([...this.flows].map(([t, f]) => [t, f.describe()]));
  }
}
