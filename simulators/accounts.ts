/**
 * Device accounts for fleets of simulated devices. The gateway checks a device's password
 * with scrypt at every connect, with the cost written in the stored hash; a fleet of
 * hundreds of simulated devices gets a real scrypt hash of a lower cost (N = 1024 instead
 * of the 16384 `courier-gw hash-password` writes), so connecting them all measures the
 * gateway, not the key derivation.
 */
import { randomBytes, scryptSync } from 'node:crypto';

/** `scrypt$N$r$p$salt$hash` (base64), the format the gateway's config takes */
export function fleetPasswordHash(password: string, cost = 1024): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: cost, r: 8, p: 1 });
  return `scrypt$${cost}$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}
