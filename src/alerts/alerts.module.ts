import { Module } from '@nestjs/common';
import { ThresholdsModule } from '../thresholds/thresholds.module';
import { AckController } from './ack.controller';
import { AlertEngine } from './alert-engine';
import { AlertStormGuard } from './alert-storm';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { AckLinks } from './delivery/ack-links';
import { UnsubscribeLinks } from './delivery/unsubscribe-links';
import { UnsubscribeController } from './unsubscribe.controller';
import { DigestOptOutsController } from './digest-opt-outs.controller';
import { DigestOptOutsRepository } from './digest-opt-outs.repository';
import { DeliverySender } from './delivery/delivery-sender';
import { DigestService } from './delivery/digest.service';
import { EmailContent } from './delivery/email-content';
import { MailTransport } from './delivery/mail-transport';
import { OutboxDispatcher } from './delivery/outbox-dispatcher';

@Module({
  imports: [ThresholdsModule],
  controllers: [AlertsController, AckController, UnsubscribeController, DigestOptOutsController],
  providers: [
    AlertEngine,
    AlertStormGuard,
    AlertsRepository,
    AlertsService,
    AckLinks,
    UnsubscribeLinks,
    DigestOptOutsRepository,
    EmailContent,
    MailTransport,
    DeliverySender,
    OutboxDispatcher,
    DigestService,
  ],
  exports: [AlertEngine, AlertStormGuard, OutboxDispatcher, DigestService, MailTransport, AlertsService],
})
export class AlertsModule {}
