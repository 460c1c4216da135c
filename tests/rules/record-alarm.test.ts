import { describe, expect, it } from 'vitest';
import { RecordRefusedAlarm, type RecordAlarmChange } from '../../rules/record-alarm.js';

describe('RecordRefusedAlarm', () => {
  it('rises on the first refused record and clears on the next kept one, once each', () => {
    const changes: RecordAlarmChange[] = [];
    const alarm = new RecordRefusedAlarm((c) => changes.push(c));
    alarm.observe('pickup.completed', 'ok');
    expect(changes).toEqual([]);
    alarm.observe('pickup.completed', 'DISK_FULL');
    alarm.observe('pickup.exception', 'IO');
    expect(alarm.raised).toBe(true);
    alarm.observe('pickup.exception', 'ok');
    alarm.observe('pickup.completed', 'ok');
    expect(changes).toEqual([
      { active: true, message: 'a pickup.completed record was refused: DISK_FULL' },
      { active: false, message: 'records are kept again' },
    ]);
    expect(alarm.raised).toBe(false);
  });
});
