import { Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { Principal } from '../auth/roles';
import { QUEUE_SESSION_COOKIE, QUEUE_VIEW_PATH, QueueSessions } from './queue-sessions';

@ApiTags('operations')
@Controller('v1/auth')
export class QueueSessionController {
  constructor(private readonly sessions: QueueSessions) {}

  @Post('queue-session')
  @HttpCode(204)
  @Roles() // admin only
  @ApiOperation({
    summary: 'Open the operators’ queue view',
    description:
      `Sets an HttpOnly, SameSite=Strict cookie (${QUEUE_SESSION_COOKIE}, Path=${QUEUE_VIEW_PATH}, lifetime http.queueView.sessionTtlSeconds) ` +
      `signed over this key's id and its expiry; then open ${QUEUE_VIEW_PATH} (bull-board). The session ends when the key is revoked. ` +
      `${QUEUE_VIEW_PATH} also accepts Authorization: Bearer <admin key>.`,
  })
  @ApiNoContentResponse({
    description: 'Session cookie set',
    headers: {
      'Set-Cookie': {
        description: `${QUEUE_SESSION_COOKIE}=<signed token>; Path=${QUEUE_VIEW_PATH}; HttpOnly; SameSite=Strict`,
        schema: { type: 'string' },
      },
    },
  })
  async open(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) res: Response): Promise<void> {
    const { value, options } = await this.sessions.issue(principal.keyId);
    res.cookie(QUEUE_SESSION_COOKIE, value, options).set('Cache-Control', 'no-store');
  }
}
