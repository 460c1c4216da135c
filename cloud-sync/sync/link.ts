/**
 * Link state and counters shared by the sync transports (HTTP syncer, MQTT bridge) and
 * read by the status topic and /metrics.
 */
import type { EventEmitter } from 'node:events';

/** idle: not started, stopped, or nothing exchanged yet; up: the last exchange worked;
 * down: failing and retrying; auth-failed: dispatch refused our credentials */
export type LinkState = 'up' | 'down' | 'auth-failed' | 'idle';

export interface LinkStats {
  transport: 'http' | 'mqtt';
  state: LinkState;
  /** records posted / published, resends included */
  sent: number;
  batches: number;
  acked: number;
  rejected: number;
  /** failed attempts that were (or will be) retried */
  retried: number;
  consecutiveFailures: number;
  lastError?: string;
  lastErrorAt?: string;
  lastSuccessAt?: string;
}

export interface LinkAlarm {
  kind: 'auth' | 'rejected' | 'http';
  message: string;
}

/**
 * Events of a link: 'state' (state, previous), 'alarm' (LinkAlarm), 'retry'
 * ({ attempt, delayMs, reason }).
 */
export interface SyncLink extends EventEmitter {
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): LinkStats;
}

/** Keeps the counters and the state, and emits 'state' on every change. */
export class LinkTracker {
  private s: LinkStats;

  constructor(private readonly owner: EventEmitter, transport: LinkStats['transport'], private readonly now: () => number) {
    this.s = { transport, state: 'idle', sent: 0, batches: 0, acked: 0, rejected: 0, retried: 0, consecutiveFailures: 0 };
  }

  get state(): LinkState {
    return this.s.state;
  }

  set(state: LinkState): void {
    const prev = this.s.state;
    if (prev === state) return;
    this.s.state = state;
    this.owner.emit('state', state, prev);
  }

  sent(records: number): void {
    this.s.sent += records;
    this.s.batches++;
  }

  answered(acked: number, rejected: number): void {
    this.s.acked += acked;
    this.s.rejected += rejected;
    this.s.consecutiveFailures = 0;
    this.s.lastSuccessAt = new Date(this.now()).toISOString();
    this.set('up');
  }

  /** a failed attempt; returns the consecutive failure count (the backoff attempt number) */
  failed(error: string, state: LinkState = 'down'): number {
    this.s.retried++;
    this.s.consecutiveFailures++;
    this.s.lastError = error;
    this.s.lastErrorAt = new Date(this.now()).toISOString();
    this.set(state);
    return this.s.consecutiveFailures;
  }

  snapshot(): LinkStats {
    return { ...this.s };
  }
}
