import { describe, expect, it } from 'vitest';
import { decoders, protocols } from '../devices/registry.js';
import { deviceKinds } from '../devices/driver.js';

describe('device registry', () => {
  it('has unique protocol names with a known kind and at least one transport', () => {
    const names = protocols.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const p of protocols) {
      expect(deviceKinds).toContain(p.kind);
      expect(p.transports.length).toBeGreaterThan(0);
    }
  });

  it('has unique decoder names', () => {
    const names = decoders.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
