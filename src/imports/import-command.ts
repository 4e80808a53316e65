import { basename, relative } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ImportError } from './import-error';
import { ImportReport, ImportRowError, ImportService, checkColumns } from './import.service';
import { IMPORT_KINDS, ImportKindName, loadMapping } from './mapping';
import { CRMS, CrmName, KINDS, formatFor, mapFileFor } from './profiles';
import { openRecords } from './record-reader';

export interface ImportOptions {
  from: string;
  kind: string;
  file: string;
  map?: string;
  owners?: string;
  timeZone?: string;
  dryRun?: boolean;
}

export interface ImportIo {
  out(line: string): void;
  /** Progress and errors. */
  err(line: string): void;
  /** ms clock for throttling progress lines. */
  now?(): number;
}

/** Errors listed on the terminal; the count says how many there were in all. */
const SHOWN_ERRORS = 10;
const PROGRESS_EVERY_MS = 1000;

export type ContextRunner = <T>(config: AppConfig, fn: (ctx: INestApplicationContext) => Promise<T>) => Promise<T>;

/**
 * `churnwatch import`: checks the flags and the map, reads the file through the map and
 * ingests it in one transaction. Answers the report; a bad map, flag, file or missing
 * column throws ImportError (nothing stored), rows that fail leave `errors` (nothing stored).
 */
export async function runImport(config: AppConfig, opts: ImportOptions, io: ImportIo, withContext: ContextRunner): Promise<ImportReport> {
  if (!(CRMS as readonly string[]).includes(opts.from))
    throw new ImportError(`--from must be one of ${CRMS.join(', ')} (got '${opts.from}')`);
  if (!(IMPORT_KINDS as readonly string[]).includes(opts.kind)) {
    throw new ImportError(`--kind must be one of ${IMPORT_KINDS.join(', ')} (got '${opts.kind}')`);
  }
  const crm = opts.from as CrmName;
  const kindName = opts.kind as ImportKindName;
  const mapFile = mapFileFor(config.rootDir, crm, kindName, opts.map);
  const map = loadMapping(mapFile, { kind: KINDS[kindName], crm, ownersFile: opts.owners, timeZone: opts.timeZone });
  const format = formatFor(crm, opts.file, map.format);
  const reader = await openRecords(opts.file, format, map.recordsPath);
  try {
    checkColumns(map, reader); // before connecting: a wrong file needs no database to be told so
  } catch (err) {
    reader.close();
    throw err;
  }
  const now = io.now ?? Date.now;
  let lastProgress = now();
  let shown = false;
  const onRow = (rows: number) => {
    if (rows % 1000 !== 0 || now() - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now();
    shown = true;
    io.err(`  ${rows.toLocaleString('en-US')} rows read (${Math.floor(reader.progress() * 100)} %)`);
  };
  const shownMap = relative(config.rootDir, mapFile).startsWith('..') ? mapFile : relative(config.rootDir, mapFile);
  io.err(`Importing ${basename(opts.file)} as ${crm} ${kindName} (map ${shownMap})${opts.dryRun ? ', dry run' : ''}...`);
  const report = await withContext(config, (ctx) => ctx.get(ImportService).run(map, reader, { dryRun: opts.dryRun ?? false, onRow }));
  if (shown) io.err(`  ${report.rowsRead.toLocaleString('en-US')} rows read (100 %)`);
  printReport(report, io);
  return report;
}

export function describeRowError(e: ImportRowError): string {
  const where = e.row === null ? 'the file' : `row ${e.row}${e.line !== undefined ? ` (line ${e.line})` : ''}`;
  const what = e.column ? `column "${e.column}"${e.field ? ` (${e.field})` : ''}` : e.field ? `field ${e.field}` : '';
  return `${where}${what ? `, ${what}` : ''}: ${e.message}`;
}

function printReport(report: ImportReport, io: ImportIo): void {
  const failed = report.errorCount > 0;
  const verb = failed ? 'Nothing was stored' : report.dryRun ? 'Dry run: nothing was stored; the import would store' : 'Stored';
  io.out(verb + (failed ? `: ${report.errorCount} error(s).` : '.'));
  io.out(`  rows read    ${report.rowsRead}`);
  if (report.skipped > 0) io.out(`  skipped      ${report.skipped} (the map's skip rules)`);
  if (!failed) {
    io.out(`  accepted     ${report.accepted}`);
    io.out(`  duplicates   ${report.duplicates}${report.updated !== undefined ? ` (of which updated: ${report.updated})` : ''}`);
  }
  if (failed) {
    io.err(`First ${Math.min(SHOWN_ERRORS, report.errors.length)} of ${report.errorCount} error(s):`);
    for (const e of report.errors.slice(0, SHOWN_ERRORS)) io.err(`  ${describeRowError(e)}`);
  }
}
