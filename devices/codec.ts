/**
 * What every codec shares: the typed error it returns for input it cannot decode,
 * and the hex helpers used for logs, the CLI and test vectors.
 *
 * A codec never throws: it returns a value or a CodecError.
 */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    /** protocol or codec name, e.g. 'mt-sics' */
    readonly protocol: string,
    /** stable machine-readable reason, e.g. 'BAD_CHECKSUM', 'WRONG_LENGTH' */
    readonly code: string,
    message: string,
    /** the offending input as hex (binary protocols) or as text (line protocols) */
    readonly input?: string,
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, protocol: this.protocol, message: this.message, input: this.input };
  }
}

export function isCodecError(value: unknown): value is CodecError {
  return value instanceof CodecError;
}

export function toHex(bytes: Uint8Array, separator = ' '): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(separator);
}

/** Parses hex, spaced or not ("03 04 02", "030402", "03:04:02"); a typed error when it is not hex. */
export function fromHex(text: string, protocol = 'hex'): Uint8Array | CodecError {
  const clean = text.replace(/[\s:,-]/g, '').replace(/^0x/i, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    return new CodecError(protocol, 'NOT_HEX', `expected pairs of hex digits, got "${text}"`, text);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
