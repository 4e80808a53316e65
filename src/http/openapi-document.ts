import type { OpenAPIObject } from '@nestjs/swagger';

type Json = Record<string, unknown>;

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** The one error body every endpoint answers (see HttpExceptionFilter). */
const ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', description: 'machine-readable, e.g. validation_failed, not_found, rate_limited, conflict' },
    message: { type: 'string' },
    errors: {
      type: 'array',
      description: 'validation_failed: every bad field, by row for ingestion (row 0-based, line 1-based in the file)',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: {
          row: { type: 'integer', nullable: true },
          line: { type: 'integer' },
          field: { type: 'string', nullable: true },
          message: { type: 'string' },
        },
      },
    },
    errorCount: { type: 'integer' },
    truncated: { type: 'boolean' },
    correlationId: { type: 'string', description: '500 only: quote it to an operator; the log has the error under it' },
  },
};

const integerHeader = (description: string) => ({ description, schema: { type: 'integer' } });

const RATE_HEADERS = {
  'RateLimit-Limit': integerHeader('requests allowed per key per window'),
  'RateLimit-Remaining': integerHeader('requests left in this window'),
  'RateLimit-Reset': integerHeader('seconds until the window resets'),
};

const DEFAULT_ERRORS: Record<string, string> = {
  '400': 'Invalid request: `errors` names each bad field (and row)',
  '401': 'Missing or unknown API key',
  '403': 'The key’s role may not do this (admin only unless the description says otherwise)',
  '404': 'No such resource, or not the manager’s own',
  '429': 'Rate limit of the key exceeded; retry after Retry-After seconds',
  '503': 'The database took longer than this kind of request is allowed (statement_timeout); narrow the request or retry',
};

/**
 * Fills in what every protected operation shares, so generated clients get it right:
 * the bearer key on every operation under /v1 (some admin-only endpoints declared none,
 * so SDKs sent no key), the error statuses with the one error body and the rate-limit
 * headers, the public URL as the server, and an API key rather than a JWT as the bearer format.
 */
export function completeOpenApi(document: OpenAPIObject, publicUrl: string): OpenAPIObject {
  document.servers = [{ url: publicUrl.replace(/\/+$/, ''), description: 'this deployment (email.publicUrl)' }];
  const components = (document.components ??= {});
  components.schemas = { ...components.schemas, Error: ERROR_SCHEMA };
  const bearer = components.securitySchemes?.bearer as Json | undefined;
  if (bearer) {
    delete bearer.bearerFormat;
    bearer.description = 'An API key: Authorization: Bearer <key> (keys are made with `apikey create`)';
  }
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item as Record<string, Json>)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const responses = (op.responses ??= {}) as Record<string, Json>;
      if (path.startsWith('/v1/')) {
        op.security ??= [{ bearer: [] }];
        const params = (op.parameters as Json[] | undefined) ?? [];
        const wanted = ['401', '403', '429'];
        if (params.length > 0 || op.requestBody) wanted.push('400');
        if (params.some((p) => p.in === 'path')) wanted.push('404');
        if (method === 'get') wanted.push('503');
        for (const status of wanted) responses[status] ??= { description: DEFAULT_ERRORS[status] };
        for (const [status, response] of Object.entries(responses)) {
          if (status.startsWith('2') || status === '429') response.headers = { ...RATE_HEADERS, ...(response.headers as Json | undefined) };
        }
        responses['429'] = {
          ...responses['429'],
          headers: { ...RATE_HEADERS, 'Retry-After': integerHeader('seconds to wait'), ...(responses['429']?.headers as Json | undefined) },
        };
      }
      // Every error answer has the one error body, whatever the operation declared.
      for (const [status, response] of Object.entries(responses)) {
        if (/^[45]\d\d$/.test(status) && !response.content) response.content = { 'application/json': { schema: ERROR_REF } };
      }
    }
  }
  return document;
}
