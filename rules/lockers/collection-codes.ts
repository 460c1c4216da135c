/**
 * Codes dispatch sends down for a locker terminal: collection codes per courier and bank,
 * and consent codes per parcel. Only a keyed hash of each code is kept (HMAC-SHA256 with
 * the gateway's secret), never the code, and no code is ever logged.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CollectionCodeStore, CollectionGrant } from './ports.js';

/** where the hashes are kept: the same get/set shape as a device state store (lowdb-backed) */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): Promise<void>;
}

interface Grant {
  expiresAt: string;
}

type Stored<G> = G & { hash: string };

/**
 * Hashed codes with what each grants. `scope` is what a code is valid for (a bank, a
 * parcel) and goes into its hash; `owner` names the grant a newer code replaces.
 */
export class HashedCodes<G extends Grant> {
  protected entries: Stored<G>[];

  constructor(
    private readonly secret: string | Uint8Array,
    private readonly store: KeyValueStore | undefined,
    private readonly key: string,
    private readonly scope: (grant: G) => string,
    private readonly owner: (grant: G) => string,
  ) {
    const saved = store?.get<unknown>(key);
    this.entries = Array.isArray(saved) ? (saved as Stored<G>[]).filter((e) => typeof e?.hash === 'string') : [];
  }

  /** sets (or replaces) the code of a grant's owner; the code is hashed at once */
  async set(input: G & { code: string }): Promise<void> {
    const { code, ...rest } = input;
    const grant = rest as unknown as G;
    const owner = this.owner(grant);
    this.entries = this.entries.filter((e) => this.owner(e) !== owner);
    this.entries.push({ ...grant, hash: this.hash(this.scope(grant), code) });
    await this.save();
  }

  /** drops expired codes */
  async prune(nowMs: number): Promise<number> {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => Date.parse(e.expiresAt) > nowMs);
    if (this.entries.length !== before) await this.save();
    return before - this.entries.length;
  }

  /** the grant a code opens in this scope now; undefined for a wrong or expired code */
  protected find(scope: string, code: string, nowMs: number): Stored<G> | undefined {
    const hash = Buffer.from(this.hash(scope, code), 'hex');
    let found: Stored<G> | undefined;
    for (const e of this.entries) {
      if (this.scope(e) === scope && timingSafeEqual(Buffer.from(e.hash, 'hex'), hash) && Date.parse(e.expiresAt) > nowMs) found = e;
    }
    return found;
  }

  protected async remove(predicate: (grant: G) => boolean): Promise<void> {
    this.entries = this.entries.filter((e) => !predicate(e));
    await this.save();
  }

  /** how many codes are held (for status pages; no codes) */
  size(): number {
    return this.entries.length;
  }

  private hash(scope: string, code: string): string {
    return createHmac('sha256', this.secret).update(`${scope}\u0000${code.trim()}`).digest('hex');
  }

  private async save(): Promise<void> {
    await this.store?.set(this.key, this.entries);
  }
}

export interface CollectionCodeInput extends CollectionGrant {
  /** the code as dispatch sent it; hashed at once */
  code: string;
}

/** collection codes: valid at one bank, one per courier and bank */
export class HashedCollectionCodes extends HashedCodes<CollectionGrant> implements CollectionCodeStore {
  constructor(secret: string | Uint8Array, store?: KeyValueStore, key = 'collectionCodes') {
    super(secret, store, key, (g) => g.bank, (g) => `${g.courier}\u0000${g.bank}`);
  }

  async revoke(courier: string, bank: string): Promise<void> {
    await this.remove((e) => e.courier === courier && e.bank === bank);
  }

  match(bank: string, code: string, nowMs: number): CollectionGrant | undefined {
    const found = this.find(bank, code, nowMs);
    if (!found) return undefined;
    const { hash: _hash, ...grant } = found;
    return { ...grant, waybills: grant.waybills ? [...grant.waybills] : undefined };
  }
}
