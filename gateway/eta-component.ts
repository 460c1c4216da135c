/**
 * The ETA tracker as a gateway component: fed every position (locker devices aside) and
 * told whenever a kit's tasks change; an exception at a stop becomes a delay notice; its
 * figures on /metrics. The kits' workload follows the same task lists, parcels recorded at
 * stops that expect several, closed tasks, and the tracker's plans. What the learned model
 * learned (speeds per hour and road class, dwell per stop type: a bounded state) is kept in
 * the data folder (`eta-learned.json`), read at start, written every few minutes and at stop;
 * the delay notices told for open tasks are kept in the same file as soon as they change,
 * so a restart does not tell a customer twice.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { registerEtaMetrics, type EtaTracker, type KitWorkload, type LearnedModel, type LearnedState } from '../eta/index.js';
import type { EventBus } from './event-bus.js';
import type { Component } from './runtime.js';
import { StateFile } from './state-file.js';

export interface EtaComponentOptions {
  eta: EtaTracker;
  workload: KitWorkload;
  bus: EventBus;
  registry: Registry;
  lockerDevices: ReadonlySet<string>;
  /** the learned model and the data folder its state is kept in */
  learned?: { model: LearnedModel; dataDir: string; log: Logger; saveEveryMs?: number };
}

export const learnedStateFile = 'eta-learned.json';

interface EtaState {
  learned?: LearnedState;
  /** delay notices told: [kit, taskId, cause:reason] */
  told?: unknown;
}

export class EtaComponent implements Component {
  readonly name = 'eta';
  private registered = false;
  private file: StateFile<EtaState> | undefined;
  private saver: NodeJS.Timeout | undefined;

  constructor(private readonly o: EtaComponentOptions) {}

  async start(): Promise<void> {
    const { eta, bus, learned } = this.o;
    if (learned) {
      const file = path.join(learned.dataDir, learnedStateFile);
      try {
        this.file = await StateFile.open<EtaState>(file, {});
        learned.model.restore(this.file.data.learned);
        eta.restoreTold(this.file.data.told);
      } catch (err) {
        // what was learned is worth keeping, not worth refusing to start over: the model starts empty
        learned.log.warn({ err, file }, 'eta: learned state not read; starting from the defaults');
      }
      this.saver = setInterval(() => void this.save(), learned.saveEveryMs ?? 5 * 60_000);
      this.saver.unref();
    }
    if (!this.registered) registerEtaMetrics(this.o.registry, eta);
    this.registered = true;
    await eta.start();
    const { workload } = this.o;
    bus.on(this.name, 'tasks-changed', ({ kit, tasks }) => {
      void workload.tasksChanged(kit, tasks);
      void eta.tasksChanged(kit);
    });
    bus.on(this.name, 'task-state', ({ kit, taskId, state }) => {
      if (!state) return;
      if (!state.open) {
        eta.taskClosed(kit, taskId);
        void workload.taskClosed(kit, taskId);
      } else if (state.pieces) {
        // a parcel of a stop that expects more: its remaining pieces drop
        void workload.taskProgressed(kit, { id: taskId, expectedPieces: state.pieces.expected, piecesDone: state.pieces.done });
      }
      if (state.state === 'exception') void eta.exception(kit, taskId, state.reason ?? 'other', state.at);
    });
    bus.on(this.name, 'device-event', (e) => {
      if (e.type === 'position' && !this.o.lockerDevices.has(e.deviceId)) void eta.handle(e);
    });
  }

  async stop(): Promise<void> {
    this.o.bus.off(this.name);
    await this.o.eta.stop();
    if (this.saver) clearInterval(this.saver);
    this.saver = undefined;
    await this.save();
  }

  /** the delay notices told changed: written at once (a notice is rare; a few bytes per open task told about) */
  toldChanged(): void {
    const { learned } = this.o;
    if (!learned || !this.file) return;
    void this.file
      .update((d) => {
        d.told = this.o.eta.toldNotices();
      })
      .catch((err: unknown) => learned.log.warn({ err }, 'eta: delay notices told not written'));
  }

  /** writes what the model learned (a few kB whatever the days driven) */
  async save(): Promise<void> {
    const { learned } = this.o;
    if (!learned || !this.file) return;
    const state = learned.model.state();
    await this.file.update((d) => {
      d.learned = state;
    }).catch((err: unknown) => learned.log.warn({ err }, 'eta: learned state not written'));
  }

  status(): Record<string, unknown> {
    return { ...this.o.eta.stats(), workloadRecords: this.o.workload.records };
  }
}
