import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { Writable } from 'node:stream';

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** One value in COPY text format. */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/**
 * Buffers rows and writes them to a COPY FROM STDIN stream in batches; `drain()` lets the
 * reader wait when Postgres is behind, which keeps memory flat whatever the upload size.
 */
export class CopyWriter {
  private lines: string[] = [];
  private blocked = false;
  private error?: Error;

  constructor(
    private readonly copy: Writable,
    private readonly batchRows: number,
  ) {
    // Postgres may reject the COPY while the reader is busy; keep the error for the next call.
    copy.on('error', (err: Error) => (this.error = err));
  }

  write(values: ReadonlyArray<string | null>): void {
    if (this.error) throw this.error;
    let line = copyField(values[0]);
    for (let i = 1; i < values.length; i++) line += '\t' + copyField(values[i]);
    this.lines.push(line + '\n');
    if (this.lines.length >= this.batchRows) this.flush();
  }

  async drain(): Promise<void> {
    if (this.error) throw this.error;
    if (!this.blocked) return;
    await once(this.copy, 'drain');
    this.blocked = false;
  }

  async end(): Promise<void> {
    this.flush();
    this.copy.end();
    await finished(this.copy);
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    const chunk = this.lines.join('');
    this.lines = [];
    if (!this.copy.write(chunk)) this.blocked = true;
  }
}
