/**
 * The link to dispatch as a gateway component: records from the journal over HTTP or the
 * MQTT bridge (loaded only when configured), and the downlink (tasks, rule sets, config
 * patches) applied through ports.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Outbox } from '../cloud-sync/outbox.js';
// the sync modules one by one, not their index: the MQTT bridge (and the mqtt client it
// brings) loads only when dispatch is reached over MQTT
import { HttpSyncer } from '../cloud-sync/sync/http.js';
import { DownlinkApplier, type DownlinkHandlers, type DownlinkState } from '../cloud-sync/sync/downlink-items.js';
import { DownlinkPoller } from '../cloud-sync/sync/downlink.js';
import { registerLinkMetrics } from '../cloud-sync/sync/metrics.js';
import type { SyncLink } from '../cloud-sync/sync/link.js';
import type { Config } from './config.js';
import { StateFile } from './state-file.js';
import type { EventBus } from './event-bus.js';
import type { Component } from './runtime.js';

/** Config keys dispatch may change with a config.patch item. */
export const configPatchWhitelist = ['eta.roadFactor', 'eta.geofenceM', 'eta.defaultDwellMin', 'rules.unknownTask', 'rules.pairingWindowMs'];

export interface SyncComponentOptions {
  config: Config;
  /** where the records come from, open by the time sync starts */
  journal: { outbox(): Outbox };
  handlers: DownlinkHandlers;
  log: Logger;
  registry: Registry;
  bus: EventBus;
  now: () => number;
}

export class SyncComponent implements Component {
  readonly name = 'sync';
  private link: (SyncLink & { start(): Promise<void> | void; stop(): Promise<void> | void }) | undefined;
  private poller: DownlinkPoller | undefined;
  private applier: DownlinkApplier | undefined;

  constructor(private readonly o: SyncComponentOptions) {}

  async start(): Promise<void> {
    const { config, log } = this.o;
    // the downlink cursor and the ids applied, kept in the data folder
    const file = await StateFile.open<{ downlink?: DownlinkState }>(path.join(config.gateway.dataDir, 'gateway-state.json'), {});
    const state = { get: () => file.data.downlink, set: (s: DownlinkState) => file.update((x) => void (x.downlink = s)) };
    const d = config.dispatch;
    if (d.transport === 'none' || (!d.url && d.urls === undefined)) {
      log.info('no dispatch configured: records stay in the journal');
      return;
    }
    this.applier = new DownlinkApplier({
      handlers: this.o.handlers,
      state,
      configWhitelist: configPatchWhitelist,
      now: this.o.now,
      log,
    });
    if (d.transport === 'http' && d.url) {
      const syncer = new HttpSyncer({ url: d.url, gatewayId: config.gateway.id, token: d.token ?? '', outbox: this.o.journal.outbox(), log });
      this.poller = new DownlinkPoller({ url: d.url, gatewayId: config.gateway.id, token: d.token ?? '', applier: this.applier, log });
      this.link = syncer;
    } else {
      const { MqttBridge } = await import('../cloud-sync/sync/mqtt-bridge.js');
      this.link = new MqttBridge({ url: d.urls ?? d.url ?? '', gatewayId: config.gateway.id, username: d.username, password: d.password, outbox: this.o.journal.outbox(), applier: this.applier, ackTimeoutMs: d.ackTimeoutMs, log });
    }
    const link = this.link as unknown as NodeJS.EventEmitter;
    link.on('alarm', (a: { kind?: string; message?: string; active?: boolean }) =>
      this.o.bus.emit('alarm', { kind: `sync-${a.kind ?? 'link'}`, source: 'sync', message: a.message ?? 'sync alarm', active: a.active ?? true, at: this.o.now() }),
    );
    link.on('state', (s: string) => {
      if (s === 'up') this.o.bus.emit('alarm', { kind: 'sync-auth', source: 'sync', message: 'dispatch accepts the gateway again', active: false, at: this.o.now() });
    });
    registerLinkMetrics(this.o.registry, { link: this.link, downlink: this.poller, applier: this.applier });
    await this.link.start();
    await this.poller?.start();
    log.info({ transport: d.transport }, 'sync to dispatch started');
  }

  async stop(): Promise<void> {
    await this.poller?.stop();
    await this.link?.stop();
  }

  status(): Record<string, unknown> {
    if (!this.link) return { link: 'none' };
    const s = this.link.stats();
    return { link: s.state, transport: s.transport, acked: s.acked, rejected: s.rejected, retried: s.retried, lastError: s.lastError, downlink: this.poller?.stats().state, applied: this.applier?.stats().applied };
  }
}
