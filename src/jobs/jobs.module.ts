import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobQueue } from './job-queue.service';
import { WorkerHost } from './worker-host';

/** BullMQ producer and worker host, shared by every module with jobs. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [JobQueue, WorkerHost],
  exports: [JobQueue, WorkerHost],
})
export class JobsModule {}
