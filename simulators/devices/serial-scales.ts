/** MT-SICS, continuous-output and line scales on a serial line, hosting the scale firmware stubs. */
import type { Transform } from 'node:stream';
import { LineFraming } from '../../devices/transports/framing.js';
import type { LineScaleDefinition } from '../../devices/scale/line-scale.js';
import { LineScaleStub } from '../../firmware-stubs/scale/line-scale-stub.js';
import { ContinuousScaleStub, type ContinuousStubOptions } from '../../firmware-stubs/scale/continuous-stub.js';
import { MtSicsStub, type MtSicsStubOptions } from '../../firmware-stubs/scale/mt-sics-stub.js';
import type { ScalePlatform } from '../../firmware-stubs/scale/platform.js';
import type { SerialEndpoint } from './serial-endpoint.js';
import { SerialSim, type SerialSimIdentity } from './serial-sim.js';
import type { SimAction, SimContext } from './sim-device.js';
import { platformState, scaleActions } from './scale-actions.js';

/** A Mettler Toledo balance: answers S, SI, SIR, Z, T, @ and repeats the weight on every tick after SIR. */
export class MtSicsSim extends SerialSim {
  readonly kind = 'scale' as const;
  readonly protocol = 'mt-sics';
  readonly stub: MtSicsStub;
  private readonly framing: Transform;
  /** command lines heard from the gateway */
  readonly heard: string[] = [];

  constructor(identity: SerialSimIdentity, endpoint: SerialEndpoint, ctx: SimContext, readonly platform: ScalePlatform, options: MtSicsStubOptions = {}) {
    super(identity, endpoint, ctx);
    this.stub = new MtSicsStub(platform, options);
    this.framing = new LineFraming({ delimiter: '\r\n', maxBytes: 256, lenientLineEnd: true });
    this.framing.on('data', (line: string) => {
      this.heard.push(line);
      if (this.heard.length > 100) this.heard.shift();
      for (const reply of this.stub.receive(line, this.ctx.now())) this.send(reply);
    });
    this.framing.on('overflow', () => undefined);
  }

  protected receive(bytes: Buffer): void {
    this.framing.write(bytes);
  }

  protected produce(nowMs: number): void {
    for (const line of this.stub.tick(nowMs)) this.send(line);
  }

  protected ownActions(): Record<string, SimAction> {
    return scaleActions(this.platform, this.ctx);
  }

  protected state(): Record<string, unknown> {
    return platformState(this.platform, this.ctx.now());
  }
}

/** A CAS-style scale that streams one line per tick and takes no commands. */
export class ContinuousScaleSim extends SerialSim {
  readonly kind = 'scale' as const;
  readonly protocol = 'continuous-scale';
  readonly stub: ContinuousScaleStub;

  constructor(identity: SerialSimIdentity, endpoint: SerialEndpoint, ctx: SimContext, readonly platform: ScalePlatform, options: ContinuousStubOptions = {}) {
    super(identity, endpoint, ctx);
    this.stub = new ContinuousScaleStub(platform, options);
  }

  protected receive(): void {
    // a continuous-output scale ignores what it is sent
  }

  protected produce(nowMs: number): void {
    this.send(this.stub.tick(nowMs));
  }

  protected ownActions(): Record<string, SimAction> {
    return scaleActions(this.platform, this.ctx);
  }

  protected state(): Record<string, unknown> {
    return platformState(this.platform, this.ctx.now());
  }
}

/** Any line scale (devices/scale/line-scale.ts), played by the generic line-scale stub from its definition. */
export class LineScaleSim extends SerialSim {
  readonly kind = 'scale' as const;
  readonly protocol: string;
  readonly stub: LineScaleStub;
  private readonly framing: Transform;

  constructor(identity: SerialSimIdentity, endpoint: SerialEndpoint, ctx: SimContext, readonly platform: ScalePlatform, definition: LineScaleDefinition) {
    super(identity, endpoint, ctx);
    this.protocol = definition.name;
    const scale = definition.lineScale;
    this.stub = new LineScaleStub(platform, scale);
    this.framing = new LineFraming({ delimiter: scale.delimiter, maxBytes: scale.maxLineBytes, lenientLineEnd: scale.delimiter === '\r\n' });
    this.framing.on('data', (line: string) => {
      for (const reply of this.stub.receive(line, this.ctx.now())) this.send(reply);
    });
    this.framing.on('overflow', () => undefined);
  }

  protected receive(bytes: Buffer): void {
    this.framing.write(bytes);
  }

  protected produce(nowMs: number): void {
    for (const line of this.stub.tick(nowMs)) this.send(line);
  }

  protected ownActions(): Record<string, SimAction> {
    return scaleActions(this.platform, this.ctx);
  }

  protected state(): Record<string, unknown> {
    return platformState(this.platform, this.ctx.now());
  }
}
