import { describe, expect, it } from 'vitest';
import { parseDeviceTopic, topicBelowRoot, topicFilters, topics } from '../../core/topics.js';

describe('topics', () => {
  it('builds every topic of the bus under cg/v1', () => {
    expect(topics.deviceStatus('s1')).toBe('cg/v1/devices/s1/status');
    expect(topics.deviceEvent('s1', 'scan')).toBe('cg/v1/devices/s1/events/scan');
    expect(topics.deviceCommand('s1', 'open')).toBe('cg/v1/devices/s1/commands/open');
    expect(topics.deviceErrors('s1')).toBe('cg/v1/devices/s1/errors');
    expect(topics.kitVerdicts('k1')).toBe('cg/v1/kits/k1/verdicts');
    expect(topics.kitTasks('k1')).toBe('cg/v1/kits/k1/tasks');
    expect(topics.gatewayStatus()).toBe('cg/v1/gateway/status');
    expect(topicFilters.deviceCommands('s1')).toBe('cg/v1/devices/s1/commands/#');
    expect(topicFilters.kit('k1')).toBe('cg/v1/kits/k1/#');
  });

  it('splits what it builds', () => {
    expect(parseDeviceTopic(topics.deviceEvent('s1', 'scan'))).toEqual({ deviceId: 's1', section: 'events', name: 'scan' });
    expect(parseDeviceTopic(topics.deviceErrors('s1'))).toEqual({ deviceId: 's1', section: 'errors' });
    expect(parseDeviceTopic(topics.kitTasks('k1'))).toBeUndefined();
  });

  it('shows a topic below the root', () => {
    expect(topicBelowRoot(topics.kitVerdicts('k1'))).toBe('kits/k1/verdicts');
    expect(topicBelowRoot('other/x')).toBe('other/x');
  });
});
