/** `courier-gw decode <codec> <input>`: the decoders of every device family, from the command line. */
import { CodecError, fromHex } from '../devices/codec.js';
import { registry as defaultRegistry, type ProtocolRegistry } from '../devices/registry.js';

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

/** The decoders for `decode --help`: one line each, with an example input where a protocol gives one. */
export function decodeHelp(registry: ProtocolRegistry = defaultRegistry): string {
  const width = Math.max(0, ...registry.decoders.map((d) => d.name.length));
  const lines = registry.decoders.map((d) => {
    const example = registry.protocols.find((p) => p.decoder?.name === d.name && p.decoder.example !== '')?.decoder?.example;
    return `  ${d.name.padEnd(width)}  ${d.summary}${example ? `\n  ${' '.repeat(width)}  e.g. decode ${d.name} '${example}'` : ''}`;
  });
  return `\nCodecs:\n${lines.join('\n')}\n`;
}

export async function runDecode(name: string, input: string, registry: ProtocolRegistry = defaultRegistry): Promise<{ output: unknown; ok: boolean }> {
  const decoder = registry.findDecoder(name);
  if (!decoder) {
    const known = registry.decoders.map((d) => d.name).join(', ') || '(none)';
    return { ok: false, output: new CodecError('decode', 'UNKNOWN_CODEC', `unknown codec "${name}"; known: ${known}`, name).toJSON() };
  }
  let value: Uint8Array | string;
  if (decoder.input === 'hex') {
    const bytes = fromHex(input, decoder.name);
    if (bytes instanceof CodecError) return { ok: false, output: bytes.toJSON() };
    value = bytes;
  } else if (decoder.input === 'file') {
    value = input;
  } else {
    value = unescapeText(input);
  }
  const result = await decoder.decode(value);
  if (result instanceof CodecError) return { ok: false, output: result.toJSON() };
  return { ok: true, output: result };
}
