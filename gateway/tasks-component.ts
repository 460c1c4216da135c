/**
 * The task store as a gateway component: opened at start, seeded with the pickups, answers
 * and stop marks the journal replayed (a mark a crash lost), each kit's task list (each task with its state)
 * published retained on cg/v1/kits/{kit}/tasks whenever its task set changes, and one
 * task's state (accepted, declined, picked up, exception) retained on
 * cg/v1/kits/{kit}/tasks/{taskId}: a pickup or an answer costs one small message whatever
 * the length of the list. An empty retained message withdraws a state once a newer list
 * carries it. The courier's answers (`task` events) go to the task answers.
 */
import type { ReplayedTail } from '../rules/marks-replay.js';
import type { TaskAnswers } from '../rules/assignments.js';
import type { TaskStore } from '../rules/tasks.js';
import type { DeviceEvent } from '../devices/events.js';
import { topics } from '../core/topics.js';
import type { Broker } from './broker.js';
import type { EventBus } from './event-bus.js';
import type { Component } from './runtime.js';

export interface TasksComponentOptions {
  tasks: TaskStore;
  answers: TaskAnswers;
  /** filled while the journal opens, taken once at start */
  replayed: ReplayedTail;
  bus: EventBus;
  broker: Broker;
  now: () => number;
}

export class TasksComponent implements Component {
  readonly name = 'tasks';
  readonly essential = true;

  constructor(private readonly o: TasksComponentOptions) {}

  async start(): Promise<void> {
    const { bus, broker, now } = this.o;
    const store = this.o.tasks;
    bus.on(this.name, 'tasks-changed', ({ kit, tasks }) => {
      const list = tasks.map((t) => ({ ...t, state: store.stateOf(t.id) ?? 'assigned' }));
      void broker.publish(topics.kitTasks(kit), { kit, tasks: list, at: new Date(now()).toISOString() }, { retain: true, qos: 1 });
    });
    bus.on(this.name, 'task-state', ({ kit, taskId, state }) => {
      void broker.publish(topics.kitTaskState(kit, taskId), state === null ? '' : { ...state, at: new Date(state.at).toISOString() }, { retain: true, qos: 1 });
    });
    bus.on(this.name, 'device-event', (e) => {
      if (e.type === 'task') this.o.answers.handle(e as DeviceEvent<'task'>);
    });
    await store.start();
    await store.seedMarks(this.o.replayed.take());
    this.o.answers.start();
  }

  async stop(): Promise<void> {
    this.o.bus.off(this.name);
    await this.o.answers.stop();
    await this.o.tasks.stop();
  }
}
