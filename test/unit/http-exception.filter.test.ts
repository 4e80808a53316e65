import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/domain-error';
import { HttpExceptionFilter } from '../../src/http/http-exception.filter';

function answer(exception: unknown): { status: number; body: Record<string, unknown> } {
  const out = { status: 0, body: {} as Record<string, unknown> };
  const res = {
    headersSent: false,
    status(code: number) {
      out.status = code;
      return this;
    },
    json(body: Record<string, unknown>) {
      out.body = body;
      return this;
    },
  } as unknown as Response;
  new HttpExceptionFilter('10mb').respond(exception, { id: 'req-42' } as unknown as Request, res);
  return out;
}

describe('error answers', () => {
  it.each([
    ['validation_failed', 400],
    ['unauthorized', 401],
    ['forbidden', 403],
    ['not_found', 404],
    ['conflict', 409],
    ['payload_too_large', 413],
    ['unsupported_media_type', 415],
  ] as const)('maps domain code %s to %i with its details', (code, status) => {
    const { status: got, body } = answer(new DomainError(code, 'why', { errors: [{ row: 1 }] }));
    expect(got).toBe(status);
    expect(body).toEqual({ code, message: 'why', errors: [{ row: 1 }] });
  });

  it('turns an oversized JSON body into 413 pointing to the streamed formats', () => {
    const { status, body } = answer({ type: 'entity.too.large', status: 413, message: 'request entity too large' });
    expect(status).toBe(413);
    expect(body.message).toMatch(/10mb.*application\/x-ndjson or text\/csv/);
  });

  it('hides unexpected errors behind a 500 with the request id as correlation id', () => {
    const { status, body } = answer(new Error('connection string postgres://secret@db'));
    expect(status).toBe(500);
    expect(body).toEqual({ code: 'internal_error', message: 'Internal error', correlationId: 'req-42' });
  });
});
