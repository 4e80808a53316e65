import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError } from '../common/domain-error';
import { ALLOWED_ROLES, IS_PUBLIC } from './auth.decorators';
import { ApiKeysService } from './api-keys.service';
import { Principal, Role } from './roles';

export type AuthenticatedRequest = Request & { principal?: Principal };

/**
 * Global guard: every route needs a valid key unless marked @Public(); a route without
 * @Roles() is admin-only, so forgetting the decorator fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) throw new DomainError('unauthorized', 'Missing API key: send Authorization: Bearer <key>');
    const principal = await this.keys.authenticate(match[1]);
    if (!principal) throw new DomainError('unauthorized', 'Unknown or revoked API key');
    req.principal = principal;
    const allowed = this.reflector.getAllAndOverride<Role[]>(ALLOWED_ROLES, targets) ?? [];
    if (principal.role !== 'admin' && !allowed.includes(principal.role)) {
      throw new DomainError('forbidden', `Role ${principal.role} may not do this (needs ${['admin', ...allowed].join(' or ')})`);
    }
    return true;
  }
}
