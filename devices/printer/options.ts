/** A printer's config entry: its language's transport (serial or TCP 9100), its layouts, its polling. */
import { z } from 'zod';
import { serialTransportSchema } from '../transports/serial-device.js';
import { tcpTransportSchema } from '../transports/tcp.js';
import { defaultLabel, defaultReceipt, labelTemplateSchema, receiptTemplateSchema } from './layout.js';

export const printerOptionsSchema = z.looseObject({
  id: z.string(),
  kit: z.string(),
  kind: z.literal('printer'),
  transport: z.discriminatedUnion('type', [serialTransportSchema({ baudRate: 9600 }), tcpTransportSchema]),
  /** what the printer prints: receipts of pickups, labels of assigned waybills, or both */
  jobs: z.array(z.enum(['receipt', 'label'])).min(1).optional(),
  layout: z
    .strictObject({
      receipt: receiptTemplateSchema.default(defaultReceipt),
      label: labelTemplateSchema.default(defaultLabel),
    })
    .default({ receipt: defaultReceipt, label: defaultLabel }),
  label: z
    .strictObject({ widthMm: z.number().min(10).max(120).default(50), heightMm: z.number().min(10).max(300).default(30), gapMm: z.number().min(0).max(20).default(2) })
    .default({ widthMm: 50, heightMm: 30, gapMm: 2 }),
  /** status poll while idle, ms */
  pollMs: z.number().int().min(100).max(60_000).default(2000),
  /** how long one status byte may take, ms */
  answerTimeoutMs: z.number().int().min(50).max(10_000).default(1000),
  /** how many printed job ids are remembered against printing twice */
  rememberJobs: z.number().int().min(10).max(10_000).default(500),
});
export type PrinterOptions = z.output<typeof printerOptionsSchema>;
