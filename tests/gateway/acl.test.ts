import { describe, expect, it } from 'vitest';
import { filterWithin, mayPublish, mayRead, maySubscribe, principalKey, type Principal } from '../../gateway/acl.js';
import { parseDeviceTopic } from '../../core/topics.js';

const scanner: Principal = { role: 'device', id: 'scanner-1', kit: 'van-017', kind: 'scanner' };
const tech: Principal = { role: 'operator', username: 'tech' };

describe('filterWithin', () => {
  it.each([
    ['a/b/c', 'a/b/c', true],
    ['a/b/c', 'a/+/c', true],
    ['a/+/c', 'a/b/c', false],
    ['a/#', 'a/b/#', false],
    ['a/b/#', 'a/#', true],
    ['a/b', 'a/b/#', true],
    ['a/b/c/d', 'a/+/c', false],
    ['a', 'a/b', false],
    ['#', 'a/#', false],
  ])('%s within %s is %s', (f, a, expected) => {
    expect(filterWithin(f, a)).toBe(expected);
  });
});

describe('device topics', () => {
  it('parses events, commands, status and errors', () => {
    expect(parseDeviceTopic('cg/v1/devices/s1/events/scan')).toEqual({ deviceId: 's1', section: 'events', name: 'scan' });
    expect(parseDeviceTopic('cg/v1/devices/s1/status')).toEqual({ deviceId: 's1', section: 'status' });
    expect(parseDeviceTopic('cg/v1/devices/s1/events')).toBeUndefined();
    expect(parseDeviceTopic('cg/v1/devices/s1/events/scan/extra')).toBeUndefined();
    expect(parseDeviceTopic('cg/v1/kits/k/verdicts')).toBeUndefined();
  });
});

describe('publish policy', () => {
  it('lets a device publish its own status and events only', () => {
    expect(mayPublish(scanner, 'cg/v1/devices/scanner-1/events/scan').allowed).toBe(true);
    expect(mayPublish(scanner, 'cg/v1/devices/scanner-1/status').allowed).toBe(true);
    expect(mayPublish(scanner, 'cg/v1/devices/scale-1/events/weight').allowed).toBe(false);
    expect(mayPublish(scanner, 'cg/v1/devices/scanner-1/commands/open').allowed).toBe(false);
    expect(mayPublish(scanner, 'cg/v1/devices/scanner-1/errors').allowed).toBe(false);
    expect(mayPublish(scanner, 'cg/v1/kits/van-017/verdicts').allowed).toBe(false);
    expect(mayPublish(scanner, '$SYS/x').allowed).toBe(false);
  });

  it('lets operators publish commands and nothing else', () => {
    expect(mayPublish(tech, 'cg/v1/devices/bank-1/commands/open').allowed).toBe(true);
    expect(mayPublish(tech, 'cg/v1/devices/bank-1/events/locker').allowed).toBe(false);
    expect(mayPublish(tech, 'cg/v1/kits/van-017/verdicts').allowed).toBe(false);
  });
});

describe('subscribe policy', () => {
  it('keeps a device to its own commands, errors and kit', () => {
    expect(maySubscribe(scanner, 'cg/v1/devices/scanner-1/commands/#').allowed).toBe(true);
    expect(maySubscribe(scanner, 'cg/v1/devices/scanner-1/commands/feedback').allowed).toBe(true);
    expect(maySubscribe(scanner, 'cg/v1/devices/scanner-1/errors').allowed).toBe(true);
    expect(maySubscribe(scanner, 'cg/v1/kits/van-017/#').allowed).toBe(true);
    expect(maySubscribe(scanner, 'cg/v1/kits/van-017/verdicts').allowed).toBe(true);
    expect(maySubscribe(scanner, 'cg/v1/kits/van-018/#').allowed).toBe(false);
    expect(maySubscribe(scanner, 'cg/v1/devices/other/commands/#').allowed).toBe(false);
    expect(maySubscribe(scanner, 'cg/v1/devices/+/commands/#').allowed).toBe(false);
    expect(maySubscribe(scanner, 'cg/v1/#').allowed).toBe(false);
    expect(maySubscribe(scanner, '#').allowed).toBe(false);
  });

  it('lets operators read everything but reserved topics', () => {
    expect(maySubscribe(tech, '#').allowed).toBe(true);
    expect(maySubscribe(tech, '$CG/refused/#').allowed).toBe(false);
  });
});

describe('read policy at delivery', () => {
  it('delivers to a device only its own commands, errors and kit', () => {
    expect(mayRead(scanner, 'cg/v1/devices/scanner-1/commands/feedback').allowed).toBe(true);
    expect(mayRead(scanner, 'cg/v1/devices/scanner-1/errors').allowed).toBe(true);
    expect(mayRead(scanner, 'cg/v1/kits/van-017/verdicts').allowed).toBe(true);
    expect(mayRead(scanner, 'cg/v1/kits/van-018/verdicts').allowed).toBe(false);
    expect(mayRead(scanner, 'cg/v1/devices/scanner-2/commands/feedback').allowed).toBe(false);
    expect(mayRead(scanner, 'cg/v1/devices/scanner-1/events/scan').allowed).toBe(false);
  });

  it('delivers everything to an operator but reserved topics', () => {
    expect(mayRead(tech, 'cg/v1/kits/van-018/verdicts').allowed).toBe(true);
    expect(mayRead(tech, '$CG/refused/cg/v1/devices/x/events/scan').allowed).toBe(false);
  });

  it('names each principal apart, a device and an operator of the same name included', () => {
    expect(principalKey(scanner)).not.toBe(principalKey({ role: 'operator', username: 'scanner-1' }));
    expect(principalKey(scanner)).toBe(principalKey({ ...scanner }));
  });
});
