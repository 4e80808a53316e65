import { InitialSchema1763900000000 } from '../../migrations/1763900000000-InitialSchema';
import { Scoring1764000000000 } from '../../migrations/1764000000000-Scoring';
import { CoveringSignalIndexes1764100000000 } from '../../migrations/1764100000000-CoveringSignalIndexes';
import { Alerts1764200000000 } from '../../migrations/1764200000000-Alerts';
import { AtRiskSnapshots1764300000000 } from '../../migrations/1764300000000-AtRiskSnapshots';
import { ScoresKeepFeatures1764400000000 } from '../../migrations/1764400000000-ScoresKeepFeatures';
import { BackfillsAndAlertStorms1764600000000 } from '../../migrations/1764600000000-BackfillsAndAlertStorms';
import { ScoringFailures1764800000000 } from '../../migrations/1764800000000-ScoringFailures';
import { RunFeatureStatistics1764900000000 } from '../../migrations/1764900000000-RunFeatureStatistics';
import { CostLedger1765000000000 } from '../../migrations/1765000000000-CostLedger';
import { AcquisitionChannel1765100000000 } from '../../migrations/1765100000000-AcquisitionChannel';
import { SurveyResponses1765200000000 } from '../../migrations/1765200000000-SurveyResponses';
import { ModelKind1765500000000 } from '../../migrations/1765500000000-ModelKind';
import { BudgetAlerts1765600000000 } from '../../migrations/1765600000000-BudgetAlerts';
import { LifecycleStages1765700000000 } from '../../migrations/1765700000000-LifecycleStages';
import { DigestOptOuts1765900000000 } from '../../migrations/1765900000000-DigestOptOuts';

/** Every migration, oldest first. Listed explicitly so the built app needs no glob. */
export const MIGRATIONS = [
  InitialSchema1763900000000,
  Scoring1764000000000,
  CoveringSignalIndexes1764100000000,
  Alerts1764200000000,
  AtRiskSnapshots1764300000000,
  ScoresKeepFeatures1764400000000,
  BackfillsAndAlertStorms1764600000000,
  ScoringFailures1764800000000,
  RunFeatureStatistics1764900000000,
  CostLedger1765000000000,
  AcquisitionChannel1765100000000,
  SurveyResponses1765200000000,
  ModelKind1765500000000,
  BudgetAlerts1765600000000,
  LifecycleStages1765700000000,
  DigestOptOuts1765900000000,
];
