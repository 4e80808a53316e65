import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { nullable } from '../common/openapi';
import { CurrentPrincipal, Roles } from './auth.decorators';
import { Principal, ROLES, Role } from './roles';

export interface MeView {
  name: string;
  role: Role;
  email: string | null;
}

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  @Get('me')
  @Roles('ingest', 'scheduler', 'lead', 'manager')
  @ApiOperation({
    summary: 'Who this API key is: its name, role and (for managers) email',
    description: 'The dashboard checks a key with it at sign-in.',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { name: { type: 'string' }, role: { type: 'string', enum: [...ROLES] }, email: nullable({ type: 'string' }) },
    },
  })
  me(@CurrentPrincipal() principal: Principal): MeView {
    return { name: principal.name, role: principal.role, email: principal.email };
  }
}
