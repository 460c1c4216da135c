/**
 * Frame splitters for serial lines. Each is a small Transform with a buffer cap: a device
 * that never sends its delimiter cannot make the gateway's memory grow.
 */
import { Transform, type TransformCallback } from 'node:stream';

export interface LineFramingOptions {
  /** frame delimiter; default CR LF */
  delimiter?: string | Uint8Array;
  /** the most bytes one frame may have before it is dropped as an overflow; default 4096 */
  maxBytes?: number;
  /** 'latin1' (default) emits strings with every byte kept as one character; null emits Buffers */
  encoding?: 'latin1' | 'ascii' | 'utf8' | null;
  /** also end a frame at a bare CR or LF when the delimiter is CR LF (scanners set to CR only) */
  lenientLineEnd?: boolean;
}

/**
 * Splits a byte stream on a delimiter. Emits 'data' with each frame (delimiter removed) and
 * 'overflow' with the dropped bytes when a frame exceeds the cap; empty frames are skipped.
 */
export class LineFraming extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly delimiter: Buffer;
  private readonly maxBytes: number;
  private readonly encoding: LineFramingOptions['encoding'];
  private readonly lenient: boolean;
  /** after an overflow, the rest of that frame up to its delimiter is dropped too */
  private discarding = false;

  constructor(options: LineFramingOptions = {}) {
    super({ readableObjectMode: true });
    const d = options.delimiter ?? '\r\n';
    this.delimiter = typeof d === 'string' ? Buffer.from(d, 'latin1') : Buffer.from(d);
    this.maxBytes = options.maxBytes ?? 4096;
    this.encoding = options.encoding === undefined ? 'latin1' : options.encoding;
    this.lenient = options.lenientLineEnd ?? false;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const cut = this.findEnd();
      if (!cut) break;
      if (this.discarding) this.discarding = false;
      else this.pushFrame(this.buffer.subarray(0, cut.at));
      this.buffer = this.buffer.subarray(cut.at + cut.length);
    }
    if (this.buffer.length > this.maxBytes) {
      const dropped = Buffer.from(this.buffer);
      this.buffer = Buffer.alloc(0);
      this.discarding = true;
      this.emit('overflow', dropped);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.buffer = Buffer.alloc(0);
    done();
  }

  private findEnd(): { at: number; length: number } | undefined {
    const at = this.buffer.indexOf(this.delimiter);
    if (!this.lenient) return at >= 0 ? { at, length: this.delimiter.length } : undefined;
    for (let i = 0; i < this.buffer.length; i++) {
      const b = this.buffer[i];
      if (b === 0x0d) {
        if (i + 1 < this.buffer.length && this.buffer[i + 1] === 0x0a) return { at: i, length: 2 };
        // a bare CR at the very end may still be followed by LF in the next chunk
        if (i + 1 === this.buffer.length) return undefined;
        return { at: i, length: 1 };
      }
      if (b === 0x0a) return { at: i, length: 1 };
    }
    return undefined;
  }

  private pushFrame(frame: Buffer): void {
    if (frame.length === 0) return;
    if (frame.length > this.maxBytes) {
      this.emit('overflow', Buffer.from(frame));
      return;
    }
    this.push(this.encoding === null ? Buffer.from(frame) : frame.toString(this.encoding));
  }
}

export function lineFraming(options: LineFramingOptions = {}): () => Transform {
  return () => new LineFraming(options);
}

/**
 * One frame a byte: for devices whose every answer is one byte (a printer's real-time
 * status). Nothing is buffered, so there is nothing to cap.
 */
export class ByteFraming extends Transform {
  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    for (const b of chunk) this.push(Buffer.of(b));
    done();
  }
}

export function byteFraming(): () => Transform {
  return () => new ByteFraming();
}
