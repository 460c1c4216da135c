/** The `transport:` of a HID device, shared by every HID protocol (scales and scanners). */
import { z } from 'zod';

/** a USB id as a number or hex text ("0922", "0x0922") */
const usbId = z.union([
  z.number().int().min(0).max(0xffff),
  z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{1,4}$/)
    .transform((s) => parseInt(s.replace(/^0x/i, ''), 16)),
]);

/** path, or vendor / product id (numbers or hex strings), and optionally the usage page */
export const hidTransportSchema = z.looseObject({
  type: z.literal('hid'),
  path: z.string().min(1).optional(),
  vendorId: usbId.optional(),
  productId: usbId.optional(),
  usagePage: usbId.optional(),
});

export type HidTransportConfig = z.output<typeof hidTransportSchema>;
