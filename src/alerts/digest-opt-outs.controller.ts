import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Roles } from '../auth/auth.decorators';
import { DomainError } from '../common/domain-error';
import { pgPool } from '../database/data-source';

/** Managers who stopped their digest with its unsubscribe link, and turning it back on. */
@ApiTags('alerts')
@Controller('v1/digest-opt-outs')
export class DigestOptOutsController {
  constructor(private readonly dataSource: DataSource) {}

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
    // One row per manager who ever unsubscribed: a few hundred at most, so no paging.
    const { rows } = await pgPool(this.dataSource).query<{ recipient: string; at: Date }>(
      `SELECT recipient, opted_out_at AS at FROM digest_opt_outs ORDER BY opted_out_at DESC, recipient LIMIT 10000`,
    );
    return { items: rows.map((r) => ({ recipient: r.recipient, optedOutAt: r.at.toISOString() })) };
  }

  @Delete(':email')
  @HttpCode(204)
  @Roles('lead')
  @ApiOperation({ summary: "Turn a manager's daily digest back on; alerts that waited go out in the next digest" })
  @ApiParam({ name: 'email', description: "the manager's address, as in the digest" })
  @ApiNoContentResponse({ description: 'The digest is on again' })
  async resubscribe(@Param('email') email: string): Promise<void> {
    const { rowCount } = await pgPool(this.dataSource).query(`DELETE FROM digest_opt_outs WHERE recipient = $1`, [email.toLowerCase()]);
    if (rowCount === 0) throw new DomainError('not_found', `${email} has not stopped its digest`);
  }
}
