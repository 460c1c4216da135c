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

/** a scale stub that takes command lines and sends lines */
interface LineStub {
  receive(line: string, nowMs: number): string[];
  tick(nowMs: number): string[];
}

/** A scale on a line protocol: command lines from the gateway through the framing to the stub, its lines back. */
abstract class LineStubScaleSim<S extends LineStub> extends SerialSim {
  readonly kind = 'scale' as const;
  private readonly framing: Transform;
  /** command lines heard from the gateway */
  readonly heard: string[] = [];

  constructor(
    identity: SerialSimIdentity,
    endpoint: SerialEndpoint,
    ctx: SimContext,
    readonly platform: ScalePlatform,
    readonly stub: S,
    line: { delimiter: string; maxBytes: number },
  ) {
    super(identity, endpoint, ctx);
    this.framing = new LineFraming({ ...line, lenientLineEnd: line.delimiter === '\r\n' });
    this.framing.on('data', (text: string) => {
      this.heard.push(text);
      if (this.heard.length > 100) this.heard.shift();
      for (const reply of this.stub.receive(text, this.ctx.now())) this.send(reply);
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

/** A Mettler Toledo balance: answers S, SI, SIR, Z, T, @ and repeats the weight on every tick after SIR. */
export class MtSicsSim extends LineStubScaleSim<MtSicsStub> {
  readonly protocol = 'mt-sics';

  constructor(identity: SerialSimIdentity, endpoint: SerialEndpoint, ctx: SimContext, platform: ScalePlatform, options: MtSicsStubOptions = {}) {
    super(identity, endpoint, ctx, platform, new MtSicsStub(platform, options), { delimiter: '\r\n', maxBytes: 256 });
  }
}

/** Any line scale (devices/scale/line-scale.ts), played by the generic line-scale stub from its definition. */
export class LineScaleSim extends LineStubScaleSim<LineScaleStub> {
  readonly protocol: string;

  constructor(identity: SerialSimIdentity, endpoint: SerialEndpoint, ctx: SimContext, platform: ScalePlatform, definition: LineScaleDefinition) {
    const scale = definition.lineScale;
    super(identity, endpoint, ctx, platform, new LineScaleStub(platform, scale), { delimiter: scale.delimiter, maxBytes: scale.maxLineBytes });
    this.protocol = definition.name;
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

