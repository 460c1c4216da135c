/**
 * Layouts: what a receipt or a label says, as a template a branch can change in the
 * printer's config entry. A template is a list of items — `{ text }`, `{ barcode }`,
 * `{ feed }` — whose strings name the job's fields in braces (`Receipt {receipt}`). The
 * schema refuses an unknown field, so a template typo stops the gateway at load, with the
 * item's path, instead of printing a blank.
 */
import { z } from 'zod';
import type { PrintItem, PrintPage } from './doc.js';

export const receiptFields = ['receipt', 'waybill', 'weight', 'time', 'clock', 'courier', 'customer', 'task', 'kit'] as const;
export const labelFields = ['waybill', 'task', 'customer', 'address', 'courier', 'kit', 'time'] as const;
export type JobKind = 'receipt' | 'label';
export type JobFields = Partial<Record<(typeof receiptFields)[number] | (typeof labelFields)[number], string>>;

const placeholder = /\{([A-Za-z]+)\}/g;

function templateString(fields: readonly string[]) {
  return z
    .string()
    .max(200)
    .superRefine((s, ctx) => {
      for (const m of s.matchAll(placeholder))
        if (!fields.includes(m[1])) ctx.addIssue({ code: 'custom', message: `unknown field {${m[1]}}; fields: ${fields.join(', ')}` });
    });
}

function templateSchema(fields: readonly string[]) {
  const s = templateString(fields);
  const item = z.union([
    z.strictObject({
      text: s,
      bold: z.boolean().default(false),
      align: z.enum(['left', 'center', 'right']).default('left'),
      scale: z.union([z.literal(1), z.literal(2)]).default(1),
    }),
    z.strictObject({ barcode: s.refine((v) => /\{[A-Za-z]+\}/.test(v), 'a barcode must carry a field, e.g. {waybill}'), height: z.number().int().min(16).max(255).default(80) }),
    z.strictObject({ feed: z.number().int().min(0).max(10) }),
  ]);
  return z.array(item).min(1).max(40);
}

export const receiptTemplateSchema = templateSchema(receiptFields);
export const labelTemplateSchema = templateSchema(labelFields);
export type Template = z.output<typeof receiptTemplateSchema>;

export const defaultReceipt: Template = receiptTemplateSchema.parse([
  { text: 'PICKUP RECEIPT', bold: true, align: 'center', scale: 2 },
  { text: 'Receipt {receipt}', bold: true },
  { barcode: '{waybill}' },
  { text: 'Waybill {waybill}' },
  { text: 'Weight {weight}' },
  { text: 'Time {time}' },
  { text: 'Clock {clock}' },
  { text: 'Courier {courier}' },
  { text: 'Customer {customer}' },
  { text: 'Task {task}' },
  { feed: 2 },
]);

export const defaultLabel: Template = labelTemplateSchema.parse([
  { text: '{customer}', bold: true, scale: 2 },
  { text: '{address}' },
  { barcode: '{waybill}' },
  { text: 'Task {task}  Kit {kit}' },
]);

export function fill(template: Template, fields: JobFields): PrintPage {
  const sub = (s: string) => s.replace(placeholder, (_m, name: string) => fields[name as keyof JobFields] ?? '-');
  const items: PrintItem[] = template.map((i) =>
    'text' in i
      ? { t: 'text', text: sub(i.text), bold: i.bold, align: i.align, scale: i.scale }
      : 'barcode' in i
        ? { t: 'barcode', data: sub(i.barcode), height: i.height }
        : { t: 'feed', lines: i.feed },
  );
  return { items };
}
