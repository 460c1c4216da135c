/**
 * The record-refused alarm: a pickup or exception the kit was told is not recorded raises
 * it, and it stays up until a record is kept again.
 */
export interface RecordAlarmChange {
  active: boolean;
  message: string;
}

export class RecordRefusedAlarm {
  private active = false;

  constructor(private readonly raise: (change: RecordAlarmChange) => void) {}

  /** one record's result: 'ok' or the reason it was refused */
  observe(kind: string, result: string): void {
    const refused = result !== 'ok';
    if (refused === this.active) return;
    this.active = refused;
    this.raise({ active: refused, message: refused ? `a ${kind} record was refused: ${result}` : 'records are kept again' });
  }

  get raised(): boolean {
    return this.active;
  }
}
