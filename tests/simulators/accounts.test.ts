import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../../core/passwords.js';
import { fleetPasswordHash } from '../../simulators/accounts.js';

describe('fleet device accounts', () => {
  it('writes a scrypt hash of the given cost that the gateway verifies', async () => {
    const hash = fleetPasswordHash('pw-1', 1024);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('pw-1', hash)).toBe(true);
    expect(await verifyPassword('pw-2', hash)).toBe(false);
  });
});
