/**
 * The alarms of a locker bank: raised once, kept until the condition clears, listed in
 * the driver's describe() and counted through ctx.fault when raised.
 */
export type LockerAlarmKind = 'door-open' | 'forced-door' | 'board-timeout' | 'occupancy-mismatch';

export interface LockerAlarm {
  kind: LockerAlarmKind;
  compartment?: string;
  board?: number;
  message: string;
  /** ISO 8601 time the alarm was raised */
  since: string;
}

export class AlarmBook {
  private readonly active = new Map<string, LockerAlarm>();

  /** true when newly raised (the caller counts and logs it once) */
  raise(alarm: LockerAlarm): boolean {
    const key = keyOf(alarm.kind, alarm.compartment, alarm.board);
    if (this.active.has(key)) return false;
    this.active.set(key, alarm);
    return true;
  }

  clear(kind: LockerAlarmKind, compartment?: string, board?: number): boolean {
    return this.active.delete(keyOf(kind, compartment, board));
  }

  has(kind: LockerAlarmKind, compartment?: string, board?: number): boolean {
    return this.active.has(keyOf(kind, compartment, board));
  }

  list(): LockerAlarm[] {
    return [...this.active.values()];
  }
}

function keyOf(kind: LockerAlarmKind, compartment?: string, board?: number): string {
  return `${kind}:${compartment ?? ''}:${board ?? ''}`;
}
