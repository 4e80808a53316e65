import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DomainError } from '../common/domain-error';
import { UploadLimit, uploadTooLarge } from './record-sources';

/** A request body received in full: in memory when small, else in a temporary file. */
export interface SpooledBody {
  readonly bytes: number;
  /** The body from its first byte (call once). */
  stream(): Readable;
  /** Removes the temporary file, if any (safe to call twice). */
  dispose(): Promise<void>;
}

export interface SpoolOptions {
  /** Past this many bytes: 413, nothing kept (http.streamBodyLimit). */
  limit: UploadLimit;
  /** Bodies up to this size stay in memory (ingest.spool.memoryBytes). */
  memoryBytes: number;
  /** Folder for larger bodies' temporary files (ingest.spool.dir). */
  dir: string;
  /** No byte for this long: 408 (ingest.bodyIdleTimeoutSeconds; 0 waits for ever). */
  idleMs: number;
}

export function bodyIdleTimeout(seconds: number): DomainError {
  return new DomainError(
    'request_timeout',
    `No part of the upload arrived for ${seconds} s (ingest.bodyIdleTimeoutSeconds); nothing was stored. Send the body without pauses.`,
  );
}

/**
 * Receives a whole upload before ingestion takes a database connection, so a client
 * that sends slowly holds only its socket and a file, never a connection or a
 * transaction other requests wait behind. Bounded by the upload limit (413, the rest
 * read and dropped so the client sees the answer) and by an idle timeout (408).
 */
export async function spoolUpload(stream: Readable, options: SpoolOptions): Promise<SpooledBody> {
  const memory: Buffer[] = [];
  let file: FileHandle | null = null;
  let path: string | null = null;
  let bytes = 0;
  const removeFile = async () => {
    const [handle, at] = [file, path];
    file = null;
    path = null;
    await handle?.close().catch(() => undefined);
    if (at) await rm(at, { force: true });
  };
  const iterator = stream.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  try {
    for (;;) {
      const next = await nextWithin(iterator, options.idleMs);
      if (next === IDLE) throw bodyIdleTimeout(options.idleMs / 1000);
      if (next.done) break;
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      bytes += chunk.length;
      if (bytes > options.limit.bytes) {
        stream.resume(); // the client, still sending, gets the 413
        throw uploadTooLarge(options.limit);
      }
      if (file) {
        await file.write(chunk); // the loop waits, so the socket is read no faster than the disk takes it
      } else if (bytes <= options.memoryBytes) {
        memory.push(chunk);
      } else {
        path = join(options.dir, `churnwatch-upload-${randomUUID()}`);
        file = await open(path, 'wx', 0o600);
        for (const held of memory) await file.write(held);
        memory.length = 0;
        await file.write(chunk);
      }
    }
    if (file) await (file as FileHandle).close();
  } catch (err) {
    await removeFile();
    throw err;
  }
  const spooled = path as string | null;
  file = null;
  return {
    bytes,
    stream: () => (spooled ? createReadStream(spooled, { highWaterMark: 256 * 1024 }) : Readable.from(memory, { objectMode: false })),
    dispose: async () => {
      memory.length = 0;
      if (spooled) await rm(spooled, { force: true });
    },
  };
}

const IDLE = Symbol('idle');

/** The iterator's next chunk, or IDLE when none arrives within `ms` (0: no limit). */
async function nextWithin<T>(iterator: AsyncIterator<T>, ms: number): Promise<IteratorResult<T> | typeof IDLE> {
  if (ms <= 0) return iterator.next();
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<typeof IDLE>((resolve) => (timer = setTimeout(() => resolve(IDLE), ms)));
  try {
    return await Promise.race([iterator.next(), idle]);
  } finally {
    clearTimeout(timer);
  }
}
