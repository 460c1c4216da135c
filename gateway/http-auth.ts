/**
 * Who is calling the gateway's HTTP side: an operator tool with a bearer token
 * (`Authorization: Bearer <token>`, checked against `http.apiTokens`, hashed like
 * passwords) or an operator's dashboard session (an authenticator the dashboard adds).
 * A token's check costs one scrypt per configured token, so results are remembered
 * (by a digest of the token, never the token) and only a few checks run at once.
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { verifyPassword } from '../core/passwords.js';

export interface HttpPrincipal {
  /** how the caller proved who it is */
  via: 'token' | 'session';
  /** the token's name or the operator's user name */
  name: string;
}

/** Looks at a request and names its caller, or undefined when it proves nothing. */
export type Authenticator = (req: http.IncomingMessage) => HttpPrincipal | undefined;

export interface ApiToken {
  name: string;
  tokenHash: string;
}

export interface ApiTokenOptions {
  /** token checks running at once; beyond, a check is refused as busy; default 2 */
  maxConcurrent?: number;
  /** token digests remembered (right and wrong alike); default 1000 */
  remembered?: number;
}

/** The answer of a token check: the token's name, `undefined` for a wrong token, or `busy`. */
export type TokenCheck = { name: string } | undefined | 'busy';

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

export class ApiTokens {
  private readonly known = new Map<string, string | null>();
  private running = 0;
  private readonly maxConcurrent: number;
  private readonly remembered: number;

  constructor(private readonly tokens: readonly ApiToken[], options: ApiTokenOptions = {}) {
    this.maxConcurrent = options.maxConcurrent ?? 2;
    this.remembered = options.remembered ?? 1000;
  }

  get size(): number {
    return this.tokens.length;
  }

  async check(token: string): Promise<TokenCheck> {
    if (this.tokens.length === 0 || token.length === 0 || token.length > 512) return undefined;
    const key = digest(token);
    const seen = this.known.get(key);
    if (seen !== undefined) return seen === null ? undefined : { name: seen };
    if (this.running >= this.maxConcurrent) return 'busy';
    this.running += 1;
    let name: string | null = null;
    try {
      for (const t of this.tokens) {
        if (await verifyPassword(token, t.tokenHash)) {
          name = t.name;
          break;
        }
      }
    } finally {
      this.running -= 1;
    }
    this.known.set(key, name);
    while (this.known.size > this.remembered) {
      const oldest = this.known.keys().next().value;
      if (oldest === undefined) break;
      this.known.delete(oldest);
    }
    return name === null ? undefined : { name };
  }
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(req: http.IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
