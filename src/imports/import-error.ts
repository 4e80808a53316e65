import { DomainError } from '../common/domain-error';

/** An import that cannot start (bad map, missing column, unreadable file): one readable line, nothing stored. */
export class ImportError extends DomainError {
  constructor(message: string) {
    super('validation_failed', message);
    this.name = 'ImportError';
  }
}
