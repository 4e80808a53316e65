import { Readable } from 'node:stream';
import { CsvError, parse as parseCsv } from 'csv-parse';
import { DomainError } from '../common/domain-error';
import { StrictUtf8Decoder, decodeStrict } from '../common/strict-utf8';

/** Where parsed records go; the sink numbers rows (0-based) in arrival order. */
export interface RecordSink {
  add(record: unknown, line?: number): void;
  /** A row that could not be parsed at all; it still takes a row number. */
  malformed(message: string, line?: number): void;
  /** A problem with the request as a whole (no row). */
  requestError(field: string | null, message: string): void;
  /** True once enough errors are collected: reading stops, the rest is discarded. */
  readonly stopped: boolean;
  /** Resolves when the database has caught up (backpressure). */
  drain(): Promise<void>;
}

const MAX_LINE_BYTES = 1024 * 1024;
const ASCII = /^\p{ASCII}*$/u;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The most bytes a streamed upload may have (http.streamBodyLimit), and how the answer names it. */
export interface UploadLimit {
  bytes: number;
  label: string;
}

const UNLIMITED: UploadLimit = { bytes: Number.POSITIVE_INFINITY, label: 'unlimited' };

export function uploadTooLarge(limit: UploadLimit): DomainError {
  return new DomainError(
    'payload_too_large',
    `Streamed uploads are limited to ${limit.label} (http.streamBodyLimit); nothing was stored. Split the load into several requests.`,
  );
}

export async function feedJsonArray(body: unknown, sink: RecordSink): Promise<void> {
  if (!Array.isArray(body)) {
    sink.requestError(null, 'the body must be a JSON array of rows');
    return;
  }
  for (const record of body) {
    sink.add(record);
    if (sink.stopped) return;
  }
  await sink.drain();
}

/** Newline-delimited JSON; blank lines are skipped, every other line is one row. */
export async function feedNdjson(stream: Readable, sink: RecordSink, limit: UploadLimit = UNLIMITED): Promise<void> {
  // Invalid UTF-8 is decoded to a mark the field check rejects by row and field (never U+FFFD).
  const decoder = new StrictUtf8Decoder();
  let carry = '';
  let line = 0;
  const takeLine = (text: string) => {
    line++;
    if (text.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (err) {
      sink.malformed(`malformed JSON line: ${(err as Error).message}`, line);
      return;
    }
    sink.add(record, line);
  };
  let stopReading = false;
  for await (const chunk of chunks(stream, limit)) {
    carry += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    let start = 0;
    for (let nl = carry.indexOf('\n'); nl >= 0 && !sink.stopped; nl = carry.indexOf('\n', start)) {
      takeLine(carry.slice(start, nl));
      start = nl + 1;
    }
    carry = carry.slice(start);
    if (carry.length > MAX_LINE_BYTES) sink.malformed('line longer than 1 MiB', line + 1);
    stopReading = sink.stopped || carry.length > MAX_LINE_BYTES;
    if (stopReading) break;
    await sink.drain();
  }
  if (stopReading) return discardRest(stream);
  carry += decoder.end();
  if (carry.length > 0) takeLine(carry);
  await sink.drain();
}

/**
 * CSV with a header row naming the fields (`accountManager.email` for nested ones).
 * Empty cells are absent values. A malformed line stops the read: after it, row
 * boundaries cannot be trusted.
 */
export async function feedCsv(
  stream: Readable,
  sink: RecordSink,
  requiredColumns: readonly string[],
  limit: UploadLimit = UNLIMITED,
): Promise<void> {
  let parseError: CsvError | Error | undefined;
  let headerChecked = false;
  let wrongSeparator = false;
  // Read as latin1 (one char per byte, lossless) and each non-ASCII cell decoded here:
  // csv-parse would turn invalid UTF-8 into U+FFFD, and this way it becomes a mark the field
  // check rejects by row and field. The UTF-8 BOM is dropped below (csv-parse's own BOM
  // handling would switch it back to utf8).
  const parser = parseCsv({
    columns: true,
    encoding: 'latin1',
    bom: false,
    trim: true,
    skip_empty_lines: true,
    info: true,
    max_record_size: MAX_LINE_BYTES,
  });
  parser.on('error', (err: Error) => (parseError = err));
  parser.on('data', ({ record, info }: { record: Record<string, string>; info: { lines: number } }) => {
    if (!headerChecked) {
      headerChecked = true;
      // Header names are matched without regard to case (the sink resolves them the same way).
      const header = Object.keys(record);
      const present = new Set(header.map((h) => h.toLowerCase()));
      const missing = requiredColumns.filter((c) => !present.has(c.toLowerCase()));
      if (missing.length > 0 && header.length === 1 && /[;\t]/.test(header[0] as string)) {
        const separator = (header[0] as string).includes(';') ? 'semicolons (;)' : 'tabs';
        sink.requestError(null, `the header row is one column separated by ${separator}: CSV columns must be separated by commas (,)`);
        wrongSeparator = true;
      } else for (const column of missing) sink.requestError(column, 'column is missing from the CSV header');
    }
    // Every row of a file split on the wrong separator would repeat the header's error.
    if (sink.stopped || wrongSeparator) return;
    for (const key in record) {
      const cell = record[key];
      if (cell === '') delete record[key];
      else if (!ASCII.test(cell)) record[key] = decodeStrict(Buffer.from(cell, 'latin1'));
    }
    sink.add(record, info.lines);
  });
  let first = true;
  for await (const read of chunks(stream, limit)) {
    let chunk = typeof read === 'string' ? Buffer.from(read) : read;
    if (first) {
      first = false;
      if (chunk.subarray(0, 3).equals(UTF8_BOM)) chunk = chunk.subarray(3);
    }
    parser.write(chunk);
    if (parseError || sink.stopped) break;
    await sink.drain();
  }
  if (sink.stopped && !parseError) return discardRest(stream);
  if (!parseError) {
    parser.end();
    await new Promise<void>((resolve) => {
      parser.once('end', resolve);
      parser.once('error', () => resolve());
    });
  }
  if (parseError) {
    const lines = (parseError as CsvError & { lines?: number }).lines;
    sink.malformed(`malformed CSV: ${parseError.message}`, lines);
    return discardRest(stream);
  }
  await sink.drain();
}

/**
 * Iterates an upload without destroying it when the loop stops early, counting its bytes.
 * Past the limit the rest is read and dropped in the background (so the client, still
 * sending, gets the 413) and the read fails; the request's transaction then rolls back.
 */
async function* chunks(stream: Readable, limit: UploadLimit): AsyncGenerator<Buffer | string> {
  let bytes = 0;
  for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer | string>) {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (bytes > limit.bytes) break;
    yield chunk;
  }
  if (bytes > limit.bytes) {
    stream.resume();
    throw uploadTooLarge(limit);
  }
}

/**
 * Stops reading. The body was received in full before ingestion began (upload-spool.ts),
 * so the client already has nothing more to send: the rest is simply not read.
 */
async function discardRest(stream: Readable): Promise<void> {
  stream.destroy();
}
