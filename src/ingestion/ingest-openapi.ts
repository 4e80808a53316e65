import { applyDecorators, HttpCode } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiRequestTimeoutResponse,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { FieldSpec } from './field-spec';
import { IngestKind } from './ingest-kind';

function fieldSchema(spec: FieldSpec): Record<string, unknown> {
  const base: Record<string, unknown> = { description: spec.description };
  switch (spec.type) {
    case 'timestamp':
      return { ...base, type: 'string', format: 'date-time' };
    case 'enum':
      return { ...base, type: 'string', enum: spec.values };
    case 'number':
    case 'integer':
      return { ...base, type: spec.type, minimum: spec.min, maximum: spec.max };
    case 'decimal':
      return {
        ...base,
        oneOf: [
          { type: 'string', pattern: '^\\d+(\\.\\d{1,4})?$' },
          { type: 'number', minimum: 0, maximum: spec.max },
        ],
      };
    case 'email':
      return { ...base, type: 'string', format: 'email' };
    default:
      return { ...base, type: 'string', maxLength: spec.maxLength };
  }
}

/** The OpenAPI row schema, derived from the same field specs that validate rows. */
export function rowSchema(kind: IngestKind): Record<string, unknown> {
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  const nested: Record<string, { properties: Record<string, unknown>; required: string[] }> = {};
  for (const spec of kind.fields) {
    const [head, tail] = spec.path.split('.');
    if (tail) {
      nested[head] ??= { properties: {}, required: [] };
      nested[head].properties[tail] = fieldSchema(spec);
      if (spec.required) nested[head].required.push(tail);
      if (spec.required && !required.includes(head)) required.push(head);
    } else {
      properties[head] = fieldSchema(spec);
      if (spec.required) required.push(head);
    }
  }
  for (const [name, obj] of Object.entries(nested)) properties[name] = { type: 'object', ...obj };
  return { type: 'object', properties, required };
}

/** Documents an ingestion endpoint: three body formats, the result and the error answers. */
export function IngestEndpoint(kind: IngestKind, summary: string) {
  const row = rowSchema(kind);
  return applyDecorators(
    HttpCode(200),
    ApiOperation({
      summary,
      description:
        'All-or-nothing: any bad row answers 400 listing {row, field, message} and stores nothing. ' +
        'Rows whose externalId is already stored count as duplicates. Send JSON (up to the configured size), ' +
        'or stream application/x-ndjson (one row per line) or text/csv (header row with the field names, ' +
        'nested fields as accountManager.email) for millions of rows.',
    }),
    ApiConsumes('application/json', 'application/x-ndjson', 'text/csv'),
    ApiBody({ schema: { type: 'array', items: row } }),
    ApiOkResponse({
      schema: {
        type: 'object',
        properties: {
          accepted: { type: 'integer' },
          duplicates: { type: 'integer' },
          ...(kind.reportsUpdates ? { updated: { type: 'integer' } } : {}),
          warnings: {
            type: 'array',
            description:
              'Present only when some row had a field no name of this endpoint matches (names are matched without regard to case): ignored, nothing stored from it',
            items: {
              type: 'object',
              required: ['field', 'message', 'rows', 'firstRow'],
              properties: {
                field: { type: 'string' },
                message: { type: 'string' },
                rows: { type: 'integer', description: 'rows that had it' },
                firstRow: { type: 'integer', description: 'the first of them (0-based)' },
              },
            },
          },
        },
        required: ['accepted', 'duplicates'],
      },
    }),
    ApiBadRequestResponse({
      description: 'Invalid rows; nothing stored',
      schema: { example: { errors: [{ row: 3, field: 'occurredAt', message: 'is in the future' }], errorCount: 1 } },
    }),
    ApiPayloadTooLargeResponse({ description: 'JSON body over the size limit; use NDJSON or CSV' }),
    ApiTooManyRequestsResponse({
      description:
        'ingest.maxConcurrent ingestion requests already in progress (code too_many_uploads); nothing stored, retry after Retry-After seconds',
    }),
    ApiRequestTimeoutResponse({
      description:
        'A streamed upload sent nothing for ingest.bodyIdleTimeoutSeconds (code request_timeout); nothing stored, connection closed',
    }),
  );
}
