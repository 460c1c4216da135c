/**
 * Collection codes per courier and bank, as dispatch's downlink sets them. Only a keyed
 * hash of each code is kept (HMAC-SHA256 with the gateway's secret), never the code, and
 * no code is ever logged.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CollectionCodeStore, CollectionGrant } from './ports.js';

/** where the hashes are kept: the same get/set shape as a device state store (lowdb-backed) */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): Promise<void>;
}

interface StoredCode extends CollectionGrant {
  hash: string;
}

export interface CollectionCodeInput extends CollectionGrant {
  /** the code as dispatch sent it; hashed at once */
  code: string;
}

export class HashedCollectionCodes implements CollectionCodeStore {
  private entries: StoredCode[];

  constructor(
    private readonly secret: string | Uint8Array,
    private readonly store?: KeyValueStore,
    private readonly key = 'collectionCodes',
  ) {
    const saved = store?.get<unknown>(key);
    this.entries = Array.isArray(saved) ? (saved as StoredCode[]).filter((e) => typeof e?.hash === 'string') : [];
  }

  /** sets (or replaces) the code of a courier at a bank */
  async set(input: CollectionCodeInput): Promise<void> {
    const { code, ...grant } = input;
    this.entries = this.entries.filter((e) => !(e.courier === grant.courier && e.bank === grant.bank));
    this.entries.push({ ...grant, hash: this.hash(grant.bank, code) });
    await this.save();
  }

  async revoke(courier: string, bank: string): Promise<void> {
    this.entries = this.entries.filter((e) => !(e.courier === courier && e.bank === bank));
    await this.save();
  }

  /** drops expired codes */
  async prune(nowMs: number): Promise<number> {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => Date.parse(e.expiresAt) > nowMs);
    if (this.entries.length !== before) await this.save();
    return before - this.entries.length;
  }

  match(bank: string, code: string, nowMs: number): CollectionGrant | undefined {
    const hash = Buffer.from(this.hash(bank, code), 'hex');
    let found: StoredCode | undefined;
    for (const e of this.entries) {
      if (e.bank === bank && timingSafeEqual(Buffer.from(e.hash, 'hex'), hash) && Date.parse(e.expiresAt) > nowMs) found = e;
    }
    if (!found) return undefined;
    const { hash: _hash, ...grant } = found;
    return { ...grant, waybills: grant.waybills ? [...grant.waybills] : undefined };
  }

  /** how many codes are held (for status pages; no codes) */
  size(): number {
    return this.entries.length;
  }

  private hash(bank: string, code: string): string {
    return createHmac('sha256', this.secret).update(`${bank}\u0000${code.trim()}`).digest('hex');
  }

  private async save(): Promise<void> {
    await this.store?.set(this.key, this.entries);
  }
}
