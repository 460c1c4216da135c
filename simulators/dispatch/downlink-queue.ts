/**
 * The reference dispatch's downlink: items queued per gateway, served by long poll with an
 * opaque cursor (here `c{position}`), fed from a file or the admin API. Items are passed
 * through unchecked, so a test can serve a bad item on purpose.
 */
import { readFileSync } from 'node:fs';

export type DownlinkItem = Record<string, unknown>;

export interface DownlinkFeed {
  gatewayId: string;
  items: DownlinkItem[];
}

interface Waiter {
  gatewayId: string;
  resolve: () => void;
}

/** parses a feed: one `{ gatewayId, items }` or an array of them; throws with a sentence */
export function parseDownlinkFeed(value: unknown): DownlinkFeed[] {
  const feeds = Array.isArray(value) ? value : [value];
  return feeds.map((f, i) => {
    if (typeof f !== 'object' || f === null) throw new Error(`feed[${i}] must be an object`);
    const { gatewayId, items } = f as { gatewayId?: unknown; items?: unknown };
    if (typeof gatewayId !== 'string' || gatewayId === '') throw new Error(`feed[${i}].gatewayId must be a non-empty string`);
    if (!Array.isArray(items)) throw new Error(`feed[${i}].items must be an array`);
    items.forEach((it, j) => {
      if (typeof it !== 'object' || it === null || Array.isArray(it)) throw new Error(`feed[${i}].items[${j}] must be an object`);
    });
    return { gatewayId, items: items as DownlinkItem[] };
  });
}

export function readDownlinkFile(path: string): DownlinkFeed[] {
  return parseDownlinkFeed(JSON.parse(readFileSync(path, 'utf8')));
}

export class DownlinkQueue {
  private readonly entries: { gatewayId: string; item: DownlinkItem }[] = [];
  private readonly waiters = new Set<Waiter>();

  add(feed: DownlinkFeed): void {
    for (const item of feed.items) this.entries.push({ gatewayId: feed.gatewayId, item });
    for (const w of [...this.waiters]) {
      if (w.gatewayId === feed.gatewayId) w.resolve();
    }
  }

  /** the gateway's items after `cursor` (an unknown cursor starts from the beginning) */
  after(gatewayId: string, cursor: string | null): { cursor: string; items: DownlinkItem[] } {
    const from = /^c\d+$/.test(cursor ?? '') ? Math.min(Number((cursor as string).slice(1)), this.entries.length) : 0;
    const items = this.entries.slice(from).filter((e) => e.gatewayId === gatewayId).map((e) => e.item);
    return { cursor: `c${this.entries.length}`, items };
  }

  /** all of a gateway's items, for replay over MQTT */
  all(gatewayId: string): DownlinkItem[] {
    return this.entries.filter((e) => e.gatewayId === gatewayId).map((e) => e.item);
  }

  /** resolves when an item for the gateway arrives, after ms, or when released */
  wait(gatewayId: string, ms: number): { done: Promise<void>; cancel: () => void } {
    let waiter: Waiter | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = new Promise<void>((resolve) => {
      const finish = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        if (waiter !== undefined) this.waiters.delete(waiter);
        resolve();
      };
      waiter = { gatewayId, resolve: finish };
      this.waiters.add(waiter);
      timer = setTimeout(finish, ms);
    });
    return { done, cancel: () => waiter?.resolve() };
  }

  /** ends every pending long poll */
  releaseAll(): void {
    for (const w of [...this.waiters]) w.resolve();
  }
}
