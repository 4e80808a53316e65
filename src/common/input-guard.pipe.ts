import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import type { RequestHandler } from 'express';
import { DomainError } from './domain-error';
import { textProblem } from './text-checks';

/** Deeper than any body the API takes: a walk stops there rather than recurse without end. */
const MAX_DEPTH = 20;

/**
 * Global pipe: every path parameter, query value and JSON body a handler receives is free
 * of NUL and lone surrogates, else a 400 naming the parameter. One place instead of every
 * route: Postgres refuses NUL in text (a 500 before this), and a lone surrogate would be
 * stored as U+FFFD. Ingestion reads its body itself (@Req) and checks each row's fields.
 */
@Injectable()
export class InputGuardPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const where = metadata.type === 'body' ? 'body' : metadata.type === 'query' ? 'query' : 'path';
    const problem = findProblem(value, metadata.data ? [metadata.data] : [], 0);
    if (problem) {
      const field = problem.path.join('.') || `(${where})`;
      throw new DomainError('validation_failed', `Invalid request: ${field}: ${problem.message}`, {
        errors: [{ field, message: problem.message }],
      });
    }
    return value;
  }
}

function findProblem(value: unknown, path: string[], depth: number): { path: string[]; message: string } | null {
  if (typeof value === 'string') {
    const message = textProblem(value);
    return message ? { path, message } : null;
  }
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findProblem(value[i], [...path, String(i)], depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const [key, inner] of Object.entries(value)) {
    const keyProblem = textProblem(key);
    if (keyProblem) return { path: [...path, key], message: `name ${keyProblem}` };
    const found = findProblem(inner, [...path, key], depth + 1);
    if (found) return found;
  }
  return null;
}

/** Answers of the API hold customer data: no browser or proxy keeps a copy. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
