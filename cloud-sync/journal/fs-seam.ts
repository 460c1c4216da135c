/**
 * The few file operations the journal uses, behind an interface so tests can count fsyncs
 * and inject failures (ENOSPC, EIO) at the thinnest point.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';

export interface JournalFile {
  /** bytes read into `buf` at `offset` from file position `position` */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** bytes written; `position` null appends (files opened with 'a') */
  write(buf: Buffer, offset: number, length: number, position: number | null): Promise<number>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

/** 'r' read; 'r+' read and write an existing file; 'wx+' create a new file; 'a' append, creating; 'w' replace */
export type OpenFlags = 'r' | 'r+' | 'wx+' | 'a' | 'w';

export interface JournalFs {
  open(path: string, flags: OpenFlags): Promise<JournalFile>;
  readFile(path: string): Promise<Buffer>;
  readdir(dir: string): Promise<string[]>;
  mkdir(dir: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** makes a directory's entries (created, renamed, removed files) durable */
  syncDir(dir: string): Promise<void>;
}

class NodeFile implements JournalFile {
  constructor(private readonly handle: FileHandle) {}
  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.handle.read(buf, offset, length, position)).bytesRead;
  }
  async write(buf: Buffer, offset: number, length: number, position: number | null): Promise<number> {
    return (await this.handle.write(buf, offset, length, position)).bytesWritten;
  }
  datasync(): Promise<void> {
    return this.handle.datasync();
  }
  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }
  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }
  close(): Promise<void> {
    return this.handle.close();
  }
}

export const nodeFs: JournalFs = {
  async open(path, flags) {
    return new NodeFile(await open(path, flags));
  },
  readFile: (path) => readFile(path),
  readdir: (dir) => readdir(dir),
  async mkdir(dir) {
    await mkdir(dir, { recursive: true });
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  async syncDir(dir) {
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** writes all of `buf` at `position`, looping over short writes */
export async function writeAll(file: JournalFile, buf: Buffer, position: number | null): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const n = await file.write(buf, done, buf.length - done, position === null ? null : position + done);
    if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    done += n;
  }
}

export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
