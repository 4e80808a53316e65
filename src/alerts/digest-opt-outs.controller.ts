import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators';
import { DomainError } from '../common/domain-error';
import { DigestOptOutsRepository } from './digest-opt-outs.repository';

/** Managers who stopped their digest with its unsubscribe link, and turning it back on. */
@ApiTags('alerts')
@Controller('v1/digest-opt-outs')
export class DigestOptOutsController {
  constructor(private readonly optOuts: DigestOptOutsRepository) {}

  @Get()
  @Roles('lead')
  @ApiOperation({ summary: 'Account managers who stopped their daily digest (newest first; one row per manager)' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['items'],
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: ['recipient', 'optedOutAt'],
            properties: { recipient: { type: 'string' }, optedOutAt: { type: 'string', format: 'date-time' } },
          },
        },
      },
    },
  })
  async list(): Promise<{ items: Array<{ recipient: string; optedOutAt: string }> }> {
    return { items: await this.optOuts.list() };
  }

  @Delete(':email')
  @HttpCode(204)
  @Roles('lead')
  @ApiOperation({ summary: "Turn a manager's daily digest back on; alerts that waited go out in the next digest" })
  @ApiParam({ name: 'email', description: "the manager's address, as in the digest" })
  @ApiNoContentResponse({ description: 'The digest is on again' })
  async resubscribe(@Param('email') email: string): Promise<void> {
    if (!(await this.optOuts.remove(email.toLowerCase()))) throw new DomainError('not_found', `${email} has not stopped its digest`);
  }
}
