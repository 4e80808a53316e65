import { describe, expect, it } from 'vitest';
import { logSafeError } from '../../src/common/logging';

describe('logged errors', () => {
  it('keep the message and stack but no email address or quoted input', () => {
    const logged = logSafeError({
      type: 'Error',
      message: "Can't send mail - all recipients were rejected: 550 5.1.1 <am.one+x@mail.example.co.uk>: User unknown",
      stack: 'Error: 550 5.1.1 <am.one+x@mail.example.co.uk>\n    at send (mail-transport.ts:1:1)',
      code: 'EENVELOPE',
    });
    expect(logged).toEqual({
      type: 'Error',
      message: "Can't send mail - all recipients were rejected: 550 5.1.1 <[email]>: User unknown",
      stack: 'Error: 550 5.1.1 <[email]>\n    at send (mail-transport.ts:1:1)',
      code: 'EENVELOPE',
    });
    expect(logSafeError({ message: 'invalid input syntax for type uuid: "jane@example.com"' }).message).toBe(
      'invalid input syntax for type uuid: "[redacted]"',
    );
  });
});
