/** Small builders for API rows; every field can be overridden. */
let seq = 0;
const next = () => ++seq;

export const iso = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString();

export function customerRow(overrides: Record<string, unknown> = {}) {
  const n = next();
  return {
    externalId: `cust-${n}`,
    name: `Customer ${n}`,
    segment: 'smb',
    plan: 'basic',
    monthlyRevenue: '199.90',
    signupAt: '2024-01-15T00:00:00Z',
    accountManager: { email: 'am1@example.com', name: 'Ann Manager' },
    ...overrides,
  };
}

export function activityRow(customerId: string, overrides: Record<string, unknown> = {}) {
  return { externalId: `act-${next()}`, customerId, type: 'login', occurredAt: iso(3), quantity: 2, ...overrides };
}

export function complaintRow(customerId: string, overrides: Record<string, unknown> = {}) {
  return {
    externalId: `cmp-${next()}`,
    customerId,
    openedAt: iso(10),
    severity: 'high',
    category: 'billing',
    status: 'open',
    ...overrides,
  };
}

export function spendRow(customerId: string, overrides: Record<string, unknown> = {}) {
  return { externalId: `sp-${next()}`, customerId, occurredAt: iso(20), amount: '199.90', kind: 'invoice', ...overrides };
}
