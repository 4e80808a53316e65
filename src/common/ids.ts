import { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { DomainError } from './domain-error';

/**
 * Ids of stored rows are bigint identities, handled as JS numbers: every id the service
 * hands out is below 2^53. A longer digit string cannot name a row, and sent on to
 * Postgres (or through Number()) it would overflow.
 */
export const MAX_ID = Number.MAX_SAFE_INTEGER;
const DIGITS = /^\d{1,30}$/;

const idMessage = `expected an id: a whole number from 1 to ${MAX_ID}`;

/** Digits that fit an id, as a number; null otherwise. */
export function parseId(raw: string): number | null {
  if (!DIGITS.test(raw)) return null;
  const n = Number(raw);
  return n >= 1 && n <= MAX_ID ? n : null;
}

/**
 * `@Param('id', new IdParam('alert'))`: not digits is a 400 naming the parameter; digits
 * past any id the service can hand out (0, 99999999999999999999) are a 404, as for any
 * id that names nothing.
 */
export class IdParam implements PipeTransform<string, number> {
  constructor(private readonly noun: string) {}

  transform(value: string, metadata: ArgumentMetadata): number {
    const name = metadata.data ?? 'id';
    if (typeof value !== 'string' || !DIGITS.test(value)) {
      throw new DomainError('validation_failed', `Invalid request: ${name}: ${idMessage}`, {
        errors: [{ field: name, message: idMessage }],
      });
    }
    const id = parseId(value);
    if (id === null) throw new DomainError('not_found', `No ${this.noun} ${value}`);
    return id;
  }
}

/** A query parameter holding an id (?before=, ?cursor=): anything but an id is a 400 naming it. */
export const idQuery = (message = idMessage) =>
  z
    .string()
    .refine((v) => parseId(v) !== null, message)
    .transform((v) => parseId(v)!);
