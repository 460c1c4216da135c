/** A GPS unit on a serial line: the route-driving stub, with a lost fix and wrong checksums on demand. */
import { z } from 'zod';
import { GpsUnitStub, type GpsUnitOptions } from '../../firmware-stubs/gps/gps-unit.js';
import type { SerialEndpoint } from './serial-endpoint.js';
import { SerialSim, type SerialSimIdentity } from './serial-sim.js';
import { action, noArgs, type SimAction, type SimContext } from './sim-device.js';

/** the same sentence with a checksum that is certainly wrong */
export function withWrongChecksum(line: string): string {
  const m = /^(\$[^*]*)\*([0-9A-Fa-f]{2})(\r?\n?)$/.exec(line);
  if (!m) return line;
  const wrong = (parseInt(m[2], 16) ^ 0x55).toString(16).toUpperCase().padStart(2, '0');
  return `${m[1]}*${wrong}${m[3]}`;
}

export class GpsSim extends SerialSim {
  readonly kind = 'gps' as const;
  readonly protocol = 'nmea';
  readonly stub: GpsUnitStub;
  /** sentences still to send with a wrong checksum; Infinity: until turned off */
  private corrupt = 0;
  private sentences = 0;
  private corrupted = 0;

  constructor(identity: SerialSimIdentity, endpoint: SerialEndpoint, ctx: SimContext, options: GpsUnitOptions) {
    super(identity, endpoint, ctx);
    this.stub = new GpsUnitStub(options);
  }

  protected receive(): void {
    // the unit takes no commands here
  }

  protected produce(nowMs: number): void {
    for (const line of this.stub.tick(nowMs)) {
      this.sentences++;
      if (this.corrupt > 0) {
        this.corrupt--;
        this.corrupted++;
        this.send(withWrongChecksum(line));
      } else {
        this.send(line);
      }
    }
  }

  protected ownActions(): Record<string, SimAction> {
    return {
      'no-fix': action('the unit loses its fix (sentences with status V, no position)', noArgs, () => {
        this.stub.loseFix();
        return { ok: true, fix: false };
      }),
      fix: action('the fix comes back', noArgs, () => {
        this.stub.recoverFix();
        return { ok: true, fix: true };
      }),
      'bad-checksum': action(
        'send the next `count` sentences (default 3) with a wrong checksum; on: true until on: false',
        z.strictObject({ count: z.number().int().min(1).max(100_000).optional(), on: z.boolean().optional() }),
        ({ count, on }) => {
          this.corrupt = on === false ? 0 : on === true ? Infinity : (count ?? 3);
          return { ok: true, corruptNext: this.corrupt === Infinity ? 'all' : this.corrupt };
        },
      ),
    };
  }

  protected state(): Record<string, unknown> {
    const p = this.stub.positionAt(this.ctx.now());
    return {
      fix: this.stub.hasFix,
      lat: Number(p.lat.toFixed(6)),
      lon: Number(p.lon.toFixed(6)),
      speedKmh: p.speedKmh,
      arrived: p.arrived,
      sentences: this.sentences,
      badChecksums: this.corrupted,
    };
  }
}
