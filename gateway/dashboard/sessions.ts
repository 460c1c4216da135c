/**
 * Operator sessions of the dashboard (in memory, expiring) and the throttle that slows
 * repeated failed logins. Tokens are random; only their digest is kept as the map key.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface Session {
  username: string;
  createdAt: number;
  /** last time the session was used; the idle timeout counts from here */
  seenAt: number;
}

export interface SessionOptions {
  /** a session unused this long expires */
  idleMs: number;
  /** a session expires this long after login, used or not */
  maxAgeMs: number;
  /** sessions kept at most; the oldest goes first */
  maxSessions: number;
  now: () => number;
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly o: SessionOptions) {}

  get size(): number {
    this.prune();
    return this.sessions.size;
  }

  /** Opens a session; returns its token (the cookie value). */
  create(username: string): string {
    this.prune();
    while (this.sessions.size >= this.o.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const token = randomBytes(32).toString('base64url');
    const now = this.o.now();
    this.sessions.set(digest(token), { username, createdAt: now, seenAt: now });
    return token;
  }

  /** The live session of a token, refreshed; undefined when unknown or expired. */
  touch(token: string | undefined): Session | undefined {
    const s = this.peek(token);
    if (s) s.seenAt = this.o.now();
    return s;
  }

  /** The live session of a token, without refreshing it. */
  peek(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const key = digest(token);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    if (this.expired(s)) {
      this.sessions.delete(key);
      return undefined;
    }
    return s;
  }

  /** When the session expires unless used again, ms since epoch. */
  expiresAt(s: Session): number {
    return Math.min(s.seenAt + this.o.idleMs, s.createdAt + this.o.maxAgeMs);
  }

  destroy(token: string | undefined): void {
    if (token) this.sessions.delete(digest(token));
  }

  clear(): void {
    this.sessions.clear();
  }

  private expired(s: Session): boolean {
    return this.o.now() >= this.expiresAt(s);
  }

  private prune(): void {
    for (const [k, s] of this.sessions) if (this.expired(s)) this.sessions.delete(k);
  }
}

export interface ThrottleOptions {
  /** failures allowed before logins for the key are blocked */
  freeFailures: number;
  /** the first block; each further failure doubles it */
  baseBlockMs: number;
  maxBlockMs: number;
  /** a key with no failure for this long is forgotten */
  forgetMs: number;
  /** keys kept at most; the oldest goes first */
  maxKeys: number;
  now: () => number;
}

interface Failures {
  count: number;
  lastAt: number;
  blockedUntil: number;
}

/** Counts failed logins per key (remote address + user name) and blocks a key for a growing time. */
export class LoginThrottle {
  private readonly keys = new Map<string, Failures>();
  /** failed logins since start, all keys */
  failedTotal = 0;
  /** logins refused without checking the password because the key was blocked */
  blockedTotal = 0;

  constructor(private readonly o: ThrottleOptions) {}

  /** ms to wait before this key may try again; 0 when it may try now. */
  retryAfterMs(key: string): number {
    const f = this.current(key);
    if (!f) return 0;
    const wait = Math.max(0, f.blockedUntil - this.o.now());
    if (wait > 0) this.blockedTotal += 1;
    return wait;
  }

  /** Records a failure; returns the failures counted for the key. */
  fail(key: string): number {
    const now = this.o.now();
    const f = this.current(key) ?? { count: 0, lastAt: now, blockedUntil: 0 };
    f.count += 1;
    f.lastAt = now;
    const over = f.count - this.o.freeFailures;
    if (over > 0) f.blockedUntil = now + Math.min(this.o.maxBlockMs, this.o.baseBlockMs * 2 ** Math.min(over - 1, 30));
    this.keys.delete(key);
    this.keys.set(key, f);
    while (this.keys.size > this.o.maxKeys) {
      const oldest = this.keys.keys().next().value;
      if (oldest === undefined) break;
      this.keys.delete(oldest);
    }
    this.failedTotal += 1;
    return f.count;
  }

  succeed(key: string): void {
    this.keys.delete(key);
  }

  private current(key: string): Failures | undefined {
    const f = this.keys.get(key);
    if (f && this.o.now() - f.lastAt > this.o.forgetMs && this.o.now() >= f.blockedUntil) {
      this.keys.delete(key);
      return undefined;
    }
    return f;
  }
}
