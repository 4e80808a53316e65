/** The domain of Message-IDs: the From address's, so they look like the sender's own. */
export function messageIdDomain(from: string): string {
  const match = /@([A-Za-z0-9.-]+)/.exec(from);
  return match?.[1] ?? 'churnwatch.local';
}
