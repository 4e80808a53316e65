/** What the alert emails show; assembled by the alerts service, rendered by pure functions. */
export interface EmailAlert {
  alertId: number;
  customer: { externalId: string; name: string; segment: string | null };
  accountManager: { email: string; name: string | null };
  /** e.g. 'critical' | 'high' | 'watch' */
  tier: string;
  /** 0..1, higher = more likely to churn. */
  probability: number;
  previousProbability: number | null;
  /** Decimal string, e.g. "10800.0000". */
  valueAtRisk: string;
  /** ISO code, e.g. "USD". */
  currency: string;
  drivers: Array<{ key: string; text: string; contribution: number }>;
  changes: Array<{ key: string; text: string; probabilityEffect: number }>;
  actions: Array<{ key: string; text: string; cost: number; expectedSaving: number }>;
  raisedAt: Date;
  /** Signed acknowledge link (opens a confirmation page). */
  ackUrl: string;
  /** The customer's page on the dashboard. */
  customerUrl: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** Extra headers this kind of email carries (the digest's List-Unsubscribe). */
  headers?: Record<string, string>;
}

export interface Escalation {
  step: number;
  raisedAt: Date;
  hoursUnacknowledged: number;
}
