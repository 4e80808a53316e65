import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { Params } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';

/** What pino's standard error serializer hands on (the error's own fields included). */
interface SerializedError {
  type?: string;
  message?: string;
  stack?: string;
  code?: unknown;
}

/** Postgres quotes the offending input in these messages ("invalid input syntax for type uuid: "…""). */
const QUOTED_INPUT = /(invalid input (?:syntax|value) for [^:"]+: )"[^\n]*"/g;

const EMAIL_ADDRESS = /[^\s<>()[\]{},;:"'@]+@[^\s<>()[\]{},;:"'@]+\.[^\s<>()[\]{},;:"'@]+/g;

/**
 * A text as logged, without email addresses: an SMTP server's refusal quotes the
 * recipient ("550 5.1.1 <am@example.com>: Recipient address rejected"), an account
 * manager's address. Applied to every log line's message and every logged error, so no
 * call site has to remember it; what is stored (an email's last_error) keeps the address.
 */
function withoutEmails(text: string): string {
  return text.replace(EMAIL_ADDRESS, '[email]');
}

/**
 * Errors are logged by type, message, code and stack only. Database errors also carry the
 * query's parameters, the offending row (pg `detail`, `where`) and the driver error, any
 * of which can hold a customer's name or email, so none of those fields is written.
 */
export function logSafeError(err: SerializedError): Record<string, unknown> {
  const redact = (text: string | undefined) =>
    text === undefined ? undefined : withoutEmails(text.replace(QUOTED_INPUT, '$1"[redacted]"'));
  const out: Record<string, unknown> = { type: err.type, message: redact(err.message), stack: redact(err.stack) };
  if (typeof err.code === 'string') out.code = err.code;
  return out;
}

/** The path as logged: no query string (filters can carry emails), no acknowledge token (a credential). */
export function loggedPath(url: string | undefined): string | undefined {
  const path = url?.split('?')[0];
  return path?.replace(/^\/ack\/[^/]+/, '/ack/[token]');
}

/**
 * Structured JSON logs. Requests are logged by method, path (no query string: filters
 * can carry emails) and status; bodies and the Authorization header never are, and no
 * message or error keeps an email address. Lines go
 * to stdout unless logging.file names a file.
 */
export function loggerOptions(config: AppConfig): Params {
  const options = {
    level: config.logging.level,
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,100}$/.test(given) ? given : randomUUID();
    },
    serializers: {
      req: (req: IncomingMessage & { id?: unknown }) => ({ id: req.id, method: req.method, path: loggedPath(req.url) }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: logSafeError,
    },
    redact: ['req.headers', 'res.headers'],
    hooks: {
      // Every message, whichever module logs it, loses its email addresses.
      logMethod(this: pino.Logger, args: Parameters<pino.LogFn>, method: pino.LogFn) {
        const clean = args.map((a: unknown) => (typeof a === 'string' ? withoutEmails(a) : a)) as Parameters<pino.LogFn>;
        return method.apply(this, clean);
      },
    },
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' || req.url === '/metrics' },
  };
  const file = config.logging.file;
  return { pinoHttp: file ? [options, pino.destination({ dest: file, mkdir: true, sync: true })] : options };
}
