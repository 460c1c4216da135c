/**
 * The device end of a network printer's raw port: a TCP server on 127.0.0.1 that takes one
 * host at a time (a second connection replaces the first, as a printer's port 9100 does).
 * Unplug closes the server and drops the host; replug listens again on the same port.
 */
import net from 'node:net';
import { freePort } from '../../core/ports.js';
import type { SerialEndpoint } from './serial-endpoint.js';

export class TcpEndpoint implements SerialEndpoint {
  private server: net.Server | undefined;
  private socket: net.Socket | undefined;
  private handler: (bytes: Buffer) => void = () => undefined;
  private port = 0;
  dropped = 0;

  constructor(private readonly wantedPort = 0) {}

  get gatewayPath(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** the port the gateway connects to */
  get tcpPort(): number {
    return this.port;
  }

  get plugged(): boolean {
    return this.server?.listening ?? false;
  }

  async open(): Promise<void> {
    if (this.server) return;
    this.port ||= this.wantedPort || (await freePort());
    const server = net.createServer((socket) => {
      this.socket?.destroy();
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on('data', (bytes) => this.handler(bytes));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  write(bytes: Uint8Array | string): void {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
    if (!this.socket?.writable) {
      this.dropped += buf.length;
      return;
    }
    this.socket.write(buf);
  }

  onData(handler: (bytes: Buffer) => void): void {
    this.handler = handler;
  }

  async unplug(): Promise<void> {
    await this.close();
  }

  async replug(): Promise<void> {
    await this.open();
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.socket?.destroy();
    this.socket = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
