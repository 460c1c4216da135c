/**
 * The gateway's in-process typed event bus. Listeners are registered under an owner so a
 * component's stop() removes all of its listeners in one call; an error thrown by one
 * listener is logged and contained.
 */
import type { Logger } from 'pino';
import type { DeviceEvent } from '../devices/events.js';
import type { CommandResult, DeviceState } from '../devices/driver.js';
import type { TaskListEntry, TaskState } from '../rules/tasks.js';

export interface DeviceStatus {
  deviceId: string;
  kind: string;
  kit: string;
  state: DeviceState;
  detail?: Record<string, unknown>;
  at: number;
}

/** who published a command: an operator, a device, or the gateway itself */
export type CommandIssuer = { role: 'operator'; username: string } | { role: 'device'; id: string } | { role: 'gateway' };

export interface DeviceCommand {
  deviceId: string;
  kind: string;
  kit: string;
  name: string;
  payload: Record<string, unknown>;
  result: CommandResult;
  by: CommandIssuer;
  at: number;
}

export interface Alarm {
  kind: string;
  source: string;
  message: string;
  active: boolean;
  at: number;
}

export interface GatewayEvents {
  'device-event': DeviceEvent;
  'device-status': DeviceStatus;
  /** a command from the bus carried out by a driver-run device, with who sent it */
  'device-command': DeviceCommand;
  alarm: Alarm;
  /** a kit's open tasks after its task set changed (assigned, updated, cancelled, reloaded) */
  'tasks-changed': { kit: string; tasks: TaskListEntry[] };
  /** one task accepted, declined, picked up (a parcel of it), closed or with an exception; `null`: a state told earlier is in the newer list */
  'task-state': { kit: string; taskId: string; state: TaskState | null };
  /** a pickup's record is durable (the kit hears `recorded: true` now): the record as kept */
  'pickup-recorded': { id: string; kit: string; createdAt: string; clock: string; body: Record<string, unknown> };
  /** any record the journal kept (after its append resolved): the dashboard's day figures, ETAs and exceptions follow these */
  'record-kept': { id: string; kind: string; kit?: string; createdAt: string; body: Record<string, unknown> };
  /** a message the gateway published (verdicts, commands, tasks): the dashboard follows these */
  published: { topic: string; payload: unknown };
}

type Listener<T> = (payload: T) => void;

export class EventBus<E extends object = GatewayEvents> {
  private readonly listeners = new Map<keyof E, { owner: string; fn: Listener<never> }[]>();

  constructor(private readonly log: Logger) {}

  on<K extends keyof E>(owner: string, key: K, fn: Listener<E[K]>): void {
    const list = this.listeners.get(key) ?? [];
    list.push({ owner, fn: fn as Listener<never> });
    this.listeners.set(key, list);
  }

  off(owner: string): void {
    for (const [key, list] of this.listeners) this.listeners.set(key, list.filter((l) => l.owner !== owner));
  }

  emit<K extends keyof E>(key: K, payload: E[K]): void {
    const list = this.listeners.get(key);
    if (!list) return;
    for (const l of list) {
      try {
        (l.fn as Listener<E[K]>)(payload);
      } catch (err) {
        this.log.error({ err, owner: l.owner, event: String(key) }, 'event listener failed');
      }
    }
  }
}
