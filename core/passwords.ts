/** Password hashes for devices and operators: scrypt$N$r$p$salt$hash (base64). */
import { randomBytes, scrypt as scryptCb, scryptSync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function hashPasswordSync(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, KEYLEN, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (!n || !r || !p || expected.length === 0) return false;
  const key = await scrypt(password, salt, expected.length, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 });
  return timingSafeEqual(key, expected);
}

/**
 * Bounds the password checks running at once: scrypt runs on libuv's thread pool, which
 * file writes share, so a flood of connects must not take every thread. Past
 * `maxConcurrent` running and `maxQueued` waiting, a check is refused without hashing.
 */
export class PasswordChecks {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly maxConcurrent: number,
    private readonly maxQueued: number,
  ) {}

  /** the checks running and waiting now */
  get load(): { active: number; queued: number } {
    return { active: this.active, queued: this.waiting.length };
  }

  /** true or false as verifyPassword answers, or 'busy' (nothing hashed) when the queue is full */
  async verify(password: string, hash: string): Promise<boolean | 'busy'> {
    if (this.active < this.maxConcurrent) this.active++;
    else if (this.waiting.length < this.maxQueued) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else return 'busy';
    try {
      return await verifyPassword(password, hash);
    } finally {
      // the slot goes to the next waiting check, or is freed
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * Failed logins per source address in a fixed window: an address with `maxFailures`
 * within `windowMs` is refused without a check until its window ends. Bounded: past
 * `maxAddresses` the oldest address is forgotten.
 */
export class FailuresByAddress {
  private readonly windows = new Map<string, { since: number; failures: number }>();
  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxAddresses = 10_000,
  ) {}

  /** whether the address is refused for now */
  blocked(address: string): boolean {
    const w = this.current(address);
    return w !== undefined && w.failures >= this.maxFailures;
  }

  fail(address: string): void {
    const w = this.current(address) ?? { since: this.now(), failures: 0 };
    w.failures++;
    this.windows.delete(address);
    this.windows.set(address, w);
    if (this.windows.size > this.maxAddresses) this.windows.delete(this.windows.keys().next().value!);
  }

  private current(address: string): { since: number; failures: number } | undefined {
    const w = this.windows.get(address);
    if (w && this.now() - w.since >= this.windowMs) {
      this.windows.delete(address);
      return undefined;
    }
    return w;
  }
}
