import request from 'supertest';
import type { Server } from 'node:http';

export type Format = 'json' | 'ndjson' | 'csv';
export const FORMATS: Format[] = ['json', 'ndjson', 'csv'];
export const CONTENT_TYPE: Record<Format, string> = {
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv',
};

type Row = Record<string, unknown>;

function flatten(row: Row, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(row)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flatten(value as Row, `${prefix}${key}.`, out);
    else out[`${prefix}${key}`] = value;
  }
  return out;
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows as a request body in the given format (CSV: header of all flattened field names). */
export function encode(rows: Row[], format: Format): string {
  if (format === 'json') return JSON.stringify(rows);
  if (format === 'ndjson') return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const flat = rows.map((r) => flatten(r));
  const header = [...new Set(flat.flatMap((r) => Object.keys(r)))];
  return [header.join(','), ...flat.map((r) => header.map((h) => csvCell(r[h])).join(','))].join('\n') + '\n';
}

export function post(http: Server, path: string, key: string, body: string, format: Format) {
  return request(http).post(path).set('Authorization', `Bearer ${key}`).set('Content-Type', CONTENT_TYPE[format]).send(body);
}
