/**
 * The part every serial simulator shares: the endpoint (a pty pair), unplug and replug,
 * garbage bytes, and a muted device that stops answering. A subclass says what it does
 * with the bytes it receives and what it sends on a tick.
 */
import { z } from 'zod';
import type { DeviceKind } from '../../devices/driver.js';
import type { SerialEndpoint } from './serial-endpoint.js';
import { action, garbageArgs, garbageBytes, noArgs, type GatewayDeviceEntry, type SimAction, type SimContext, type SimDevice } from './sim-device.js';

export interface SerialSimIdentity {
  id: string;
  kit: string;
  baudRate: number;
  /** extra keys of the gateway entry */
  gateway: Record<string, unknown>;
}

export abstract class SerialSim implements SimDevice {
  abstract readonly kind: DeviceKind;
  abstract readonly protocol: string;
  readonly id: string;
  protected muted = false;
  private garbageSent = 0;
  private unplugs = 0;

  constructor(
    protected readonly identity: SerialSimIdentity,
    protected readonly endpoint: SerialEndpoint,
    protected readonly ctx: SimContext,
  ) {
    this.id = identity.id;
  }

  /** bytes the gateway wrote */
  protected abstract receive(bytes: Buffer, nowMs: number): void;
  /** what the device sends by itself as time passes */
  protected abstract produce(nowMs: number): void;
  /** the device's own actions (added to the shared ones) */
  protected abstract ownActions(): Record<string, SimAction>;
  protected abstract state(): Record<string, unknown>;

  get actions(): Readonly<Record<string, SimAction>> {
    return { ...this.serialActions(), ...this.ownActions() };
  }

  gatewayEntry(): GatewayDeviceEntry {
    const { id, kit, baudRate, gateway } = this.identity;
    return {
      id,
      kind: this.kind,
      kit,
      protocol: this.protocol,
      transport: { type: 'serial', path: this.endpoint.gatewayPath, baudRate },
      ...this.entryOptions(),
      ...gateway,
    };
  }

  /** protocol options the gateway needs to talk to this device */
  protected entryOptions(): Record<string, unknown> {
    return {};
  }

  async start(): Promise<void> {
    this.endpoint.onData((bytes) => {
      if (!this.muted) this.receive(bytes, this.ctx.now());
    });
    await this.endpoint.open();
  }

  async stop(): Promise<void> {
    await this.endpoint.close();
  }

  tick(nowMs: number): void {
    if (!this.muted && this.endpoint.plugged) this.produce(nowMs);
  }

  describe(): Record<string, unknown> {
    return {
      path: this.endpoint.gatewayPath,
      plugged: this.endpoint.plugged,
      muted: this.muted,
      unplugs: this.unplugs,
      garbageSent: this.garbageSent,
      ...this.state(),
    };
  }

  protected send(bytes: Uint8Array | string): void {
    this.endpoint.write(bytes);
  }

  /** garbage as the protocol frames it: a line protocol ends it with CR LF */
  protected frameGarbage(bytes: Uint8Array): Uint8Array {
    return Uint8Array.from([...bytes, 0x0d, 0x0a]);
  }

  private serialActions(): Record<string, SimAction> {
    return {
      unplug: action('pull the cable: the pty disappears', noArgs, async () => {
        if (!this.endpoint.plugged) return { ok: true, plugged: false, message: 'already unplugged' };
        await this.endpoint.unplug();
        this.unplugs++;
        return { ok: true, plugged: false };
      }),
      replug: action('plug it back: the pty comes back at the same path', noArgs, async () => {
        if (this.endpoint.plugged) return { ok: true, plugged: true, message: 'already plugged in' };
        await this.endpoint.replug();
        return { ok: true, plugged: true, path: this.endpoint.gatewayPath };
      }),
      garbage: action('send bytes the codec cannot decode (hex, or count bytes of noise)', garbageArgs, (args) => {
        const bytes = this.frameGarbage(garbageBytes(args, ++this.garbageSent));
        this.send(bytes);
        return { ok: true, bytes: bytes.length };
      }),
      mute: action('the device stops answering and sending (still plugged in)', z.strictObject({}), () => {
        this.muted = true;
        return { ok: true, muted: true };
      }),
      unmute: action('the device answers again', noArgs, () => {
        this.muted = false;
        return { ok: true, muted: false };
      }),
    };
  }
}
