import { SetMetadata } from '@nestjs/common';
import { JobName } from './job-catalogue';

export const JOB_HANDLER = 'churnwatch:job-handler';

/** Marks a provider method as the handler of one job; found at start-up by the worker host. */
export const JobHandler = (name: JobName): MethodDecorator => SetMetadata(JOB_HANDLER, name);
