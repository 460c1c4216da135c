/**
 * A barcode read as every scanner codec returns it, and as it goes on the bus as a `scan`
 * event: the data as read (GS kept), the symbology where known, the AIM id, the raw frame,
 * and for GS1 data the application identifiers. The waybill verdict is added centrally.
 */
import { gs1Symbologies, splitAim, symbologyOfAim, type Symbology } from './aim.js';
import { GS, parseGs1, type Gs1Element } from './gs1.js';

export interface ScanRead {
  code: string;
  symbology?: Symbology;
  aim?: string;
  /** the frame as received: hex for binary reports, text for serial lines */
  raw: string;
  gs1?: Gs1Element[];
  /** why GS1 data could not be split into elements (the code is still reported) */
  gs1Error?: string;
}

/** A result a codec returns for input that is valid but carries no code (a key release, another report). */
export interface Ignored {
  type: 'ignored';
  reason: string;
}

export function ignored(reason: string): Ignored {
  return { type: 'ignored', reason };
}

export function isIgnored(value: unknown): value is Ignored {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'ignored';
}

export interface ScanOptions {
  /** parse and strip a leading AIM id (default true) */
  aim?: boolean;
  /** symbology to use when the data carries no AIM id */
  symbology?: Symbology;
  /** an AIM id delivered beside the data (HID POS reports) */
  aimId?: string;
}

/** Makes a ScanRead from decoded text: AIM id split off, symbology derived, GS1 elements parsed. */
export function makeScan(text: string, raw: string, options: ScanOptions = {}): ScanRead {
  let aim = options.aimId;
  let code = text;
  if (aim === undefined && options.aim !== false) {
    const split = splitAim(text);
    if (split.aim !== undefined && symbologyOfAim(split.aim) !== undefined) {
      aim = split.aim;
      code = split.data;
    }
  }
  const symbology = (aim !== undefined ? symbologyOfAim(aim) : undefined) ?? options.symbology;
  const scan: ScanRead = { code, raw };
  if (symbology !== undefined) scan.symbology = symbology;
  if (aim !== undefined) scan.aim = aim;
  if (symbology !== undefined && gs1Symbologies.has(symbology)) {
    const elements = parseGs1(code);
    if (Array.isArray(elements)) scan.gs1 = elements;
    else scan.gs1Error = elements.code;
    if (code.startsWith(GS)) scan.code = code.slice(1);
  }
  return scan;
}

/** The `scan` event payload of a read (the gateway adds the waybill verdict and its receive time). */
export function scanPayload(scan: ScanRead): { code: string } & Omit<ScanRead, 'code'> {
  const payload: { code: string } & Omit<ScanRead, 'code'> = { code: scan.code, raw: scan.raw };
  if (scan.symbology !== undefined) payload.symbology = scan.symbology;
  if (scan.aim !== undefined) payload.aim = scan.aim;
  if (scan.gs1 !== undefined) payload.gs1 = scan.gs1;
  if (scan.gs1Error !== undefined) payload.gs1Error = scan.gs1Error;
  return payload;
}
