import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Role } from './roles';

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
