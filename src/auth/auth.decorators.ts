import { ExecutionContext, SetMetadata, applyDecorators, createParamDecorator } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Principal, Role } from './roles';

export const IS_PUBLIC = 'churnwatch:public';
export const ALLOWED_ROLES = 'churnwatch:roles';

/** No API key needed (health, metrics, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Roles allowed besides admin, which may do everything. */
export const Roles = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(ALLOWED_ROLES, roles),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing or unknown API key' }),
    ApiForbiddenResponse({ description: `Needs role ${['admin', ...roles].join(' or ')}` }),
  );

/** The authenticated caller (set by AuthGuard). */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<{ principal?: Principal }>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a public route');
  return principal;
});

/** A manager sees only customers whose account manager is the key's email; other roles see all. */
export const managerScope = (principal: Principal): string | null => (principal.role === 'manager' ? principal.email : null);
