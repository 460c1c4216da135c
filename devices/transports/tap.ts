/**
 * The raw frames of one device, as its transports carried them: the last few in a fixed
 * ring (in: from the device, out: to it), for a technician to read on the dashboard. The
 * tap wraps the transports a driver is given, so every driver on a serial line or a HID
 * handle is covered without doing anything itself; adding a frame is O(1).
 */
import type { HidBackend, HidHandle, SerialLink, Transports } from './types.js';

export interface RawFrame {
  dir: 'in' | 'out';
  /** wall clock, ms */
  at: number;
  /** the bytes as hex */
  hex: string;
  /** the bytes as text, control characters escaped (\r, \n, \xNN) */
  text: string;
  bytes: number;
}

/** the bytes of one frame shown, at most */
const SHOWN = 256;

interface Kept {
  dir: 'in' | 'out';
  at: number;
  /** a copy of the first SHOWN bytes: formatted only when a technician asks */
  shown: Buffer;
  bytes: number;
}

export class FrameRing {
  private readonly ring: (Kept | undefined)[];
  private next = 0;
  /** frames seen since start */
  total = 0;

  constructor(size = 32) {
    this.ring = new Array<Kept | undefined>(size);
  }

  push(dir: 'in' | 'out', data: Uint8Array | string | readonly number[], at: number): void {
    const buf = typeof data === 'string' ? Buffer.from(data.slice(0, SHOWN), 'latin1') : Buffer.from((data as Uint8Array).slice(0, SHOWN));
    const bytes = data.length;
    this.ring[this.next] = { dir, at, shown: buf, bytes };
    this.next = (this.next + 1) % this.ring.length;
    this.total++;
  }

  /** oldest first */
  list(): RawFrame[] {
    const out: RawFrame[] = [];
    for (let i = 0; i < this.ring.length; i++) {
      const f = this.ring[(this.next + i) % this.ring.length];
      if (f) out.push({ dir: f.dir, at: f.at, hex: f.shown.toString('hex'), text: printable(f.shown), bytes: f.bytes });
    }
    return out;
  }
}

function printable(b: Buffer): string {
  let s = '';
  for (const c of b) {
    if (c === 0x0d) s += '\\r';
    else if (c === 0x0a) s += '\\n';
    else if (c >= 0x20 && c < 0x7f && c !== 0x5c) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s;
}

/** The transports, each frame a serial link or a HID handle carries also told to `ring`. */
export function tapTransports(t: Transports, ring: FrameRing, now: () => number): Transports {
  return {
    serial(options) {
      const link: SerialLink = t.serial(options);
      link.on('frame', (f) => ring.push('in', f, now()));
      const write = link.write.bind(link);
      link.write = (data) => {
        ring.push('out', data, now());
        return write(data);
      };
      return link;
    },
    async hid() {
      const backend = await t.hid();
      const tapped: HidBackend = Object.create(backend) as HidBackend;
      tapped.open = (path) => {
        const handle: HidHandle = backend.open(path);
        handle.on('data', (d: Buffer) => ring.push('in', d, now()));
        const write = handle.write.bind(handle);
        handle.write = (data) => {
          ring.push('out', data, now());
          return write(data);
        };
        return handle;
      };
      return tapped;
    },
    ble: () => t.ble(),
  };
}
