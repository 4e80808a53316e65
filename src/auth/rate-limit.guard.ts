import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedRequest } from './auth.guard';
import { DomainError } from '../common/domain-error';
import { RateLimiter } from './rate-limiter';

/**
 * Global guard registered after AuthGuard: counts each authenticated request against its
 * key's window and answers 429 past the limit. Public routes (no principal) are not limited.
 * Every limited answer carries RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(private readonly limiter: RateLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) return true;
    const verdict = await this.limiter.hit(principal.keyId);
    if (!verdict) return true;
    const res = context.switchToHttp().getResponse<Response>();
    res.setHeader('RateLimit-Limit', String(verdict.limit));
    res.setHeader('RateLimit-Remaining', String(verdict.remaining));
    res.setHeader('RateLimit-Reset', String(verdict.resetSeconds));
    if (verdict.allowed) return true;
    res.setHeader('Retry-After', String(verdict.resetSeconds));
    throw new DomainError('rate_limited', `Rate limit of ${verdict.limit} requests per key exceeded; retry in ${verdict.resetSeconds} s`);
  }
}
