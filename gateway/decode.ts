/** `courier-gw decode <codec> <input>`: the decoders of every device family, from the command line. */
import { CodecError, fromHex } from '../devices/codec.js';
import { registry as defaultRegistry, type ProtocolRegistry } from '../devices/registry.js';
import type { DecoderDefinition } from '../devices/driver.js';

/** Turns typed escapes (\r \n \t \\ \xNN) into their characters. */
export function unescapeText(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|r|n|t|\\)/g, (_m, e: string) => {
    if (e === 'r') return '\r';
    if (e === 'n') return '\n';
    if (e === 't') return '\t';
    if (e === '\\') return '\\';
    return String.fromCharCode(parseInt(e.slice(1), 16));
  });
}

/** How each input form is typed, for `decode --help`. */
const inputForms: Record<DecoderDefinition['input'], string> = {
  hex: 'hex bytes',
  text: 'text',
  line: 'text (\\r \\n \\xNN escapes), or hex bytes: spaced, or unspaced ending in 0D / 0A',
  file: 'a file path',
};

/**
 * A line protocol's input typed as bytes: spaced hex pairs ("53 54 2C ..."), or unspaced hex
 * that ends in a line end (0D / 0A), which typed text cannot; anything else is its text.
 */
const SPACED_HEX = /^\s*[0-9a-fA-F]{2}(?:[\s,]+[0-9a-fA-F]{2})+\s*$/;
const HEX_LINE = /^\s*(?:[0-9a-fA-F]{2})+?(?:0[dDaA])\s*$/;

/** The decoders for `decode --help`: one line each, with its input form and an example. */
export function decodeHelp(registry: ProtocolRegistry = defaultRegistry): string {
  const width = Math.max(0, ...registry.decoders.map((d) => d.name.length));
  const pad = ' '.repeat(width);
  const lines = registry.decoders.map((d) => {
    const example = d.example ?? registry.protocols.find((p) => p.decoder?.name === d.name && p.decoder.example !== '')?.decoder?.example;
    return [
      `  ${d.name.padEnd(width)}  ${d.summary}`,
      `  ${pad}  input: ${inputForms[d.input]}`,
      ...(example ? [`  ${pad}  e.g. courier-gw decode ${d.name} '${example}'`] : []),
    ].join('\n');
  });
  return `\nCodecs:\n${lines.join('\n')}\n`;
}

/** What a decoder gets of the typed input: bytes for hex (and spaced hex for a line protocol), unescaped text, or the path. */
export function decoderInput(decoder: Pick<DecoderDefinition, 'name' | 'input'>, input: string): Uint8Array | string | CodecError {
  if (decoder.input === 'hex' || (decoder.input === 'line' && (SPACED_HEX.test(input) || HEX_LINE.test(input)))) return fromHex(input, decoder.name);
  return decoder.input === 'file' ? input : unescapeText(input);
}

export async function runDecode(name: string, input: string, registry: ProtocolRegistry = defaultRegistry): Promise<{ output: unknown; ok: boolean; usage?: boolean }> {
  const decoder = registry.findDecoder(name);
  if (!decoder) {
    const known = registry.decoders.map((d) => d.name).join(', ') || '(none)';
    return { ok: false, usage: true, output: new CodecError('decode', 'UNKNOWN_CODEC', `unknown codec "${name}"; known: ${known}`, name).toJSON() };
  }
  const value = decoderInput(decoder, input);
  if (value instanceof CodecError) return { ok: false, output: value.toJSON() };
  const result = await decoder.decode(value);
  if (result instanceof CodecError) return { ok: false, output: result.toJSON() };
  return { ok: true, output: result };
}
