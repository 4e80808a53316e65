import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { DomainError } from './domain-error';
import { textProblem } from './text-checks';

/**
 * What an invalid UTF-8 sequence decodes to: a lone surrogate, which valid UTF-8 can never
 * produce, so the field holding it is found and rejected by name (textProblem) rather than
 * stored as U+FFFD, which a sender may also have sent on purpose.
 */
export const INVALID_UTF8 = '\uDFFF';

/** Bytes a sequence starting with `lead` takes; 0 for a byte that cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Decodes bytes known not to be valid UTF-8, each bad sequence as INVALID_UTF8 (the slow path). */
function decodeMarking(buf: Buffer): string {
  let out = '';
  let start = 0;
  let i = 0;
  while (i < buf.length) {
    const n = sequenceLength(buf[i]);
    if (n === 1) {
      i++;
      continue;
    }
    if (n > 0 && i + n <= buf.length && isUtf8(buf.subarray(i, i + n))) {
      i += n;
      continue;
    }
    out += buf.toString('utf8', start, i) + INVALID_UTF8;
    i++;
    // Continuation bytes of the same broken sequence make one mark, not several.
    while (i < buf.length && (buf[i] & 0xc0) === 0x80) i++;
    start = i;
  }
  return out + buf.toString('utf8', start);
}

/** Decodes a whole buffer; invalid sequences become INVALID_UTF8. */
export function decodeStrict(buf: Buffer): string {
  return isUtf8(buf) ? buf.toString('utf8') : decodeMarking(buf);
}

/**
 * A streaming UTF-8 decoder like StringDecoder, except that invalid bytes become
 * INVALID_UTF8 instead of U+FFFD. Valid chunks (nearly all) cost one isUtf8 pass.
 */
export class StrictUtf8Decoder {
  private pending: Buffer | null = null;

  write(chunk: Buffer): string {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    // A sequence cut by the chunk's end waits for the next chunk.
    let cut = buf.length;
    for (let back = 1; back <= 3 && back <= buf.length; back++) {
      const byte = buf[buf.length - back];
      if ((byte & 0xc0) === 0x80) continue;
      const n = sequenceLength(byte);
      if (n > back) cut = buf.length - back;
      break;
    }
    if (cut < buf.length) this.pending = Buffer.from(buf.subarray(cut));
    return decodeStrict(cut === buf.length ? buf : buf.subarray(0, cut));
  }

  /** The rest: an unfinished sequence at the very end is invalid. */
  end(): string {
    const rest = this.pending;
    this.pending = null;
    return rest ? decodeStrict(rest) : '';
  }
}

/** The first string (key or value) in parsed JSON that cannot be stored, with its row (top-level index) and dotted field. */
function locate(value: unknown, path: string[]): string[] | null {
  if (typeof value === 'string') return textProblem(value) ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, inner] of Object.entries(value)) {
    if (textProblem(key)) return [...path, key];
    const found = locate(inner, [...path, key]);
    if (found) return found;
  }
  return null;
}

/**
 * express.json's `verify`: a JSON body that is not valid UTF-8 is refused with a 400 naming
 * the row and field holding the bad bytes (body-parser would decode them to U+FFFD, and
 * that would be stored). The rare bad body is decoded again to find them.
 */
export function rejectInvalidUtf8(_req: IncomingMessage, _res: unknown, buf: Buffer): void {
  if (isUtf8(buf)) return;
  const message = 'is not valid UTF-8';
  let row: number | null = null;
  let field: string | null = null;
  try {
    const found = locate(JSON.parse(decodeStrict(buf)), []);
    if (found && found.length > 0) {
      const top = /^\d+$/.test(found[0]) ? Number(found[0]) : null;
      row = top;
      field = (top === null ? found : found.slice(1)).join('.') || null;
    }
  } catch {
    // Not even JSON: the answer names neither row nor field.
  }
  throw new DomainError(
    'validation_failed',
    `the body is not valid UTF-8${field ? ` (${row !== null ? `row ${row}, ` : ''}${field})` : ''}; nothing was stored`,
    {
      errors: [{ row, field, message }],
    },
  );
}
