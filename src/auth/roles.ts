export const ROLES = ['admin', 'ingest', 'scheduler', 'lead', 'manager'] as const;
export type Role = (typeof ROLES)[number];

/** Who made the request, as resolved from the API key. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
  /** For managers: the account-manager email whose customers they may see. */
  email: string | null;
}
