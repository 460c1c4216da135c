/**
 * A TCP link (a network printer's raw port 9100) with the SerialLink's shape: it connects
 * itself, reconnects with backoff and jitter when the peer goes away, and emits whole
 * frames from the configured framing. Loopback or the branch's LAN; nothing to load.
 */
import net from 'node:net';
import type { Transform } from 'node:stream';
import { z } from 'zod';
import { backoffSchema } from './serial-device.js';
import { ReopeningLink } from './reopening-link.js';
import type { SerialLink } from './types.js';

export const tcpTransportSchema = z.strictObject({
  type: z.literal('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(9100),
  connectTimeoutMs: z.number().int().positive().default(3000),
  backoff: backoffSchema.optional(),
});
export type TcpTransportConfig = z.output<typeof tcpTransportSchema>;

export interface TcpLinkOptions {
  host: string;
  port: number;
  framing: () => Transform;
  connectTimeoutMs?: number;
  backoff?: { minMs: number; maxMs: number };
  random?: () => number;
}

export class TcpLink extends ReopeningLink implements SerialLink {
  private socket: net.Socket | undefined;
  private connected = false;

  constructor(private readonly o: TcpLinkOptions) {
    super({ backoff: o.backoff, random: o.random });
  }

  get isOpen(): boolean {
    return this.connected;
  }

  async write(data: Uint8Array | string): Promise<void> {
    const socket = this.socket;
    if (!socket || !this.connected) throw new Error(`tcp ${this.o.host}:${this.o.port} is not connected`);
    await new Promise<void>((resolve, reject) => socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, (err) => (err ? reject(err) : resolve())));
  }

  async stop(): Promise<void> {
    this.halt();
    const socket = this.socket;
    this.detach();
    if (socket && !socket.destroyed) await new Promise<void>((resolve) => socket.end(() => resolve()).destroy());
  }

  protected open(): void {
    if (this.stopped) return;
    const socket = net.connect({ host: this.o.host, port: this.o.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(this.o.connectTimeoutMs ?? 3000, () => {
      if (!this.connected) socket.destroy(new Error(`tcp ${this.o.host}:${this.o.port}: no answer to connect`));
    });
    socket.once('connect', () => {
      if (this.socket !== socket) return;
      socket.setTimeout(0);
      this.connected = true;
      this.opened(socket, this.o.framing);
    });
    socket.on('error', (err) => this.lost(err));
    socket.on('close', () => this.lost(undefined));
  }

  private detach(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.connected = false;
    this.release(socket);
  }

  private lost(reason: Error | undefined): void {
    if (!this.socket) return;
    const wasOpen = this.connected;
    const socket = this.socket;
    this.detach();
    socket.destroy();
    this.reopenLater(reason, wasOpen);
  }
}
