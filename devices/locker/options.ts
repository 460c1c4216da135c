/**
 * The protocol options of a `kerong-cu16` locker bank in the device config:
 *
 *   transport: { type: serial, path: /dev/ttyUSB1 }   # baudRate 19200 unless given
 *   lockedBit: 0            # the state-bit value that means "locked"
 *   pollMs: 500
 *   doorOpenAlarmMs: 60000  # optional
 *   compartments:
 *     - { id: A01, board: 1, lock: 1, size: S }
 *
 * Calibrating lockedBit: close every door, open exactly one (by hand or with an `open`
 * command) and run `courier-gw decode lockboard <state reply hex>`: the open door's lock
 * bit has the other value from the closed ones; lockedBit is the value of the closed ones.
 */
import { z } from 'zod';
import { serialTransportSchema } from '../transports/serial-device.js';

/** KR-CU16 boards talk at 19200 baud, 8N1, unless set otherwise on the board */
export const KERONG_BAUD_RATE = 19200;

/** compartment sizes, smallest first: a parcel fits any compartment of its size or larger */
export const compartmentSizes = ['XS', 'S', 'M', 'L', 'XL'] as const;
export type CompartmentSize = (typeof compartmentSizes)[number];

export function sizeRank(size: CompartmentSize): number {
  return compartmentSizes.indexOf(size);
}

export const compartmentConfigSchema = z.object({
  id: z.string().min(1).max(32),
  board: z.number().int().min(0).max(15),
  /** the 1-based lock number printed on the board */
  lock: z.number().int().min(1).max(16),
  size: z.enum(compartmentSizes),
});
export type CompartmentConfig = z.infer<typeof compartmentConfigSchema>;

export const kerongBankOptionsSchema = z
  .object({
    transport: serialTransportSchema({ baudRate: KERONG_BAUD_RATE }),
    lockedBit: z.union([z.literal(0), z.literal(1)]).default(0),
    pollMs: z.number().int().min(50).max(60_000).default(500),
    doorOpenAlarmMs: z.number().int().min(1000).default(60_000),
    compartments: z.array(compartmentConfigSchema).min(1),
  })
  .superRefine((options, ctx) => {
    const ids = new Set<string>();
    const locks = new Set<string>();
    options.compartments.forEach((c, i) => {
      if (ids.has(c.id)) ctx.addIssue({ code: 'custom', path: ['compartments', i, 'id'], message: `duplicate compartment id ${c.id}` });
      const where = `${c.board}/${c.lock}`;
      if (locks.has(where)) {
        ctx.addIssue({ code: 'custom', path: ['compartments', i, 'lock'], message: `board ${c.board} lock ${c.lock} is used twice` });
      }
      ids.add(c.id);
      locks.add(where);
    });
  });
export type KerongBankOptions = z.infer<typeof kerongBankOptionsSchema>;
