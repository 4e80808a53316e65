import { extname, join } from 'node:path';
import { CUSTOMERS } from '../customers/customer.ingest-kind';
import { COSTS } from '../economics/cost.ingest-kind';
import { IngestKind } from '../ingestion/ingest-kind';
import { COMPLAINTS } from '../signals/complaint.ingest-kind';
import { SPEND } from '../signals/spend.ingest-kind';
import { ImportError } from './import-error';
import { ImportKindName } from './mapping';

export const CRMS = ['zoho', 'fxiaoke', 'generic'] as const;
export type CrmName = (typeof CRMS)[number];

export const KINDS: Record<ImportKindName, IngestKind> = { customers: CUSTOMERS, complaints: COMPLAINTS, spend: SPEND, costs: COSTS };

interface CrmProfile {
  /** The shipped map (in config/import/) per kind; others need --map. */
  readonly maps: Partial<Record<ImportKindName, string>>;
  /** The export's format when neither the map nor the file name says. */
  readonly format: 'csv' | 'json';
}

/** What each CRM's exports look like: Zoho CRM module exports are CSV, Fxiaoke's object data is JSON (or CSV). */
export const PROFILES: Record<CrmName, CrmProfile> = {
  zoho: { maps: { customers: 'zoho-accounts.yaml', complaints: 'zoho-cases.yaml', spend: 'zoho-invoices.yaml' }, format: 'csv' },
  fxiaoke: { maps: { customers: 'fxiaoke-accounts.yaml' }, format: 'json' },
  generic: { maps: {}, format: 'csv' },
};

/** The map to use: --map, else the CRM's shipped map for the kind. */
export function mapFileFor(rootDir: string, crm: CrmName, kind: ImportKindName, explicit?: string): string {
  if (explicit) return explicit;
  const shipped = PROFILES[crm].maps[kind];
  if (!shipped) {
    const hint = crm === 'generic' ? 'see config/import/generic.example.yaml' : `no map for ${crm} ${kind} is shipped`;
    throw new ImportError(`--map FILE is required for --from ${crm} --kind ${kind} (${hint})`);
  }
  return join(rootDir, 'config', 'import', shipped);
}

/** The map's format, else the file's extension, else the CRM's usual one. */
export function formatFor(crm: CrmName, file: string, mapFormat?: 'csv' | 'json'): 'csv' | 'json' {
  if (mapFormat) return mapFormat;
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json') return 'json';
  return PROFILES[crm].format;
}
