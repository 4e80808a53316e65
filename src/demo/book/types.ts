/** Public row and result shapes of the book generator (re-exported by `../book-generator`). */

export interface BookOptions {
  customers: number;
  months: number;
  seed: number;
  asOf: Date;
  /**
   * Multiplies how often customers are active, pay (invoices every month / eventRate, for
   * monthlyRevenue / eventRate each) and complain; 1 (the default) is the demo book. A
   * book at 0.1 or 10 tests that scoring does not depend on the demo's event density.
   */
  eventRate?: number;
  /**
   * Also each customer's acquisition channel, own costs and NPS / CSAT answers, and the
   * book's pooled monthly costs (`./economics`); the signals stay exactly as without.
   */
  economics?: boolean;
}

export interface CustomerRow {
  externalId: string;
  name: string;
  email?: string;
  segment: string;
  plan: string;
  monthlyRevenue: string;
  currency: string;
  signupAt: string;
  renewalAt?: string;
  accountManager: { email: string; name: string };
  status: 'active' | 'churned';
  churnedAt?: string;
  /** with BookOptions.economics */
  acquisitionChannel?: string;
}

export interface ActivityRow {
  externalId: string;
  customerId: string;
  type: string;
  occurredAt: string;
  quantity: number;
}

export interface ComplaintRow {
  externalId: string;
  customerId: string;
  openedAt: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  category: string;
  status: 'open' | 'resolved';
  resolvedAt?: string;
  satisfaction?: number;
}

export interface SpendRow {
  externalId: string;
  customerId: string;
  occurredAt: string;
  amount: string;
  kind: 'invoice' | 'payment' | 'refund';
  currency: string;
}

/** A row of POST /v1/costs: the customer's own (customerId) or pooled (channel / segment). */
export interface CostRow {
  externalId: string;
  category: 'acquisition' | 'retention' | 'service' | 'winback' | 'other';
  amount: string;
  currency: string;
  occurredAt: string;
  customerId?: string;
  channel?: string;
  segment?: string;
  note?: string;
}

/** A row of POST /v1/signals/surveys. */
export interface SurveyRow {
  externalId: string;
  customerId: string;
  kind: 'nps' | 'csat';
  score: number;
  respondedAt: string;
  comment?: string;
}

export interface CustomerTruth {
  externalId: string;
  churnedAt: Date | null;
  pattern: 'stable' | 'declining-churn' | 'silent-churn' | 'declining-stays';
}

export interface GeneratedCustomer {
  customer: CustomerRow;
  activity: ActivityRow[];
  complaints: ComplaintRow[];
  spend: SpendRow[];
  /** with BookOptions.economics: the customer's own costs, and its survey answers (else empty) */
  costs: CostRow[];
  surveys: SurveyRow[];
  truth: CustomerTruth;
}

export type Severity = ComplaintRow['severity'];
export type Pattern = CustomerTruth['pattern'];
export type AccountManager = CustomerRow['accountManager'];
