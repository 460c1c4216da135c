/** A serial barcode scanner: `scan` sends `[prefix][AIM id][code][suffix]` on the line. */
import { SerialScannerStub, type SerialScannerStubOptions } from '../../firmware-stubs/scanner/scanners.js';
import type { SerialEndpoint } from './serial-endpoint.js';
import { SerialSim, type SerialSimIdentity } from './serial-sim.js';
import { action, scanArgs, type SimAction, type SimContext } from './sim-device.js';

export class SerialScannerSim extends SerialSim {
  readonly kind = 'scanner' as const;
  readonly protocol = 'serial-scanner';
  private readonly stub: SerialScannerStub;
  private scans = 0;

  constructor(identity: SerialSimIdentity, endpoint: SerialEndpoint, ctx: SimContext, private readonly options: SerialScannerStubOptions = {}) {
    super(identity, endpoint, ctx);
    this.stub = new SerialScannerStub(options);
  }

  protected override entryOptions(): Record<string, unknown> {
    const o: Record<string, unknown> = { aim: this.options.sendAim !== false };
    if (this.options.prefix) o.prefix = this.options.prefix;
    if (this.options.suffix) o.suffix = this.options.suffix;
    return o;
  }

  protected receive(): void {
    // a serial scanner here takes no host commands
  }

  protected produce(): void {
    // sends only when a code is scanned
  }

  protected ownActions(): Record<string, SimAction> {
    return {
      scan: action('read a barcode: { code, symbology }', scanArgs, ({ code, symbology }) => {
        if (!this.endpoint.plugged || this.muted) return { ok: false, error: 'FAILED', message: `${this.id} is ${this.muted ? 'muted' : 'unplugged'}` };
        this.send(this.stub.scan(code, symbology));
        this.scans++;
        return { ok: true, code, symbology };
      }),
    };
  }

  protected state(): Record<string, unknown> {
    return { scans: this.scans };
  }
}
