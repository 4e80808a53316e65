import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { QueueSessionController } from './queue-session.controller';
import { QueueSessions } from './queue-sessions';
import { QueueView } from './queue-view';
import { QueueViewAccess } from './queue-view-access';

/** The operators' queue view (bull-board at /admin/queues) and its admin session cookie. */
@Module({
  imports: [AuthModule],
  controllers: [QueueSessionController],
  providers: [QueueSessions, QueueView, QueueViewAccess],
  exports: [QueueView, QueueViewAccess],
})
export class OperationsModule {}
