import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode } from '../common/domain-error';
import { isStatementTimeout } from '../database/statement-timeouts';

const STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  too_many_uploads: 429,
  request_timeout: 408,
};

/** Codes for the HTTP errors Nest raises itself, so every error body has a code. */
const HTTP_CODES: Partial<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** Errors thrown by Express's body parser carry a type and a status. */
interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
}

/**
 * Maps every error to JSON: domain errors by code, Nest HTTP errors as they are, body
 * parser errors to 400/413, anything else to a 500 with a correlation id that is also logged.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  constructor(private readonly jsonBodyLimit: string) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    this.respond(exception, host.switchToHttp().getRequest<Request>(), host.switchToHttp().getResponse<Response>());
  }

  /** Also used as the Express error handler for errors raised before Nest routing (body parser). */
  respond(exception: unknown, req: Request, res: Response): void {
    const [status, body] = this.toResponse(exception, req);
    if (res.headersSent) return void res.end();
    res.status(status).json(body);
  }

  private toResponse(exception: unknown, req: Request): [number, Record<string, unknown>] {
    if (exception instanceof DomainError) {
      return [STATUS[exception.code], { code: exception.code, message: exception.message, ...exception.details }];
    }
    if (exception instanceof HttpException) {
      // Nest's own (an unknown route, a wrong method): the same {code, message} body as ours.
      const status = exception.getStatus();
      const response = exception.getResponse();
      const {
        statusCode: _status,
        error: _error,
        ...rest
      } = typeof response === 'string' ? { message: response } : (response as Record<string, unknown>);
      const code = typeof rest.code === 'string' ? rest.code : (HTTP_CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request'));
      const message = Array.isArray(rest.message) ? rest.message.join('; ') : String(rest.message ?? exception.message);
      if (status === 404 && !rest.code) return [404, { code, message: `No such endpoint: ${req.method} ${req.path}` }];
      return [status, { ...rest, code, message }];
    }
    if (isStatementTimeout(exception)) {
      // The request asked for more work than its kind is allowed (database.statementTimeouts): the service is fine.
      return [
        503,
        {
          code: 'statement_timeout',
          message: 'The database took longer than this kind of request is allowed; narrow the request or try again later',
        },
      ];
    }
    const parser = exception as BodyParserError;
    if (parser?.type === 'entity.too.large') {
      return [
        413,
        {
          code: 'payload_too_large',
          message: `JSON bodies are limited to ${this.jsonBodyLimit}; send large loads as application/x-ndjson or text/csv, which are streamed`,
        },
      ];
    }
    if (parser?.type === 'entity.parse.failed') {
      const message = `malformed JSON body: ${parser.message}`;
      return [400, { code: 'validation_failed', message, errors: [{ row: null, field: null, message }] }];
    }
    if (parser?.type && parser.status && parser.status < 500) {
      return [parser.status, { code: 'bad_request', message: parser.message }];
    }
    const correlationId = String((req as Request & { id?: unknown }).id ?? randomUUID());
    this.logger.error({ err: exception, correlationId }, 'Unhandled error');
    return [500, { code: 'internal_error', message: 'Internal error', correlationId }];
  }
}
