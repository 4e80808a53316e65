import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { ApiKeysRepository } from './api-keys.repository';
import { Principal, ROLES, Role } from './roles';

const TOUCH_INTERVAL_MS = 5 * 60 * 1000;
/** Checked keys remembered at most; past it the cache starts again (it is a saving, not a store). */
const CACHE_MAX = 10_000;

/** Keys carry 192 random bits, so a fast hash (no salt, no KDF) is enough to store them. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

@Injectable()
export class ApiKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ApiKeysService.name);
  private readonly lastTouched = new Map<string, number>();
  private readonly checked = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly repository: ApiKeysRepository,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const key = this.config.auth.bootstrapAdminKey;
    if (!key) return;
    await this.repository.insert({ name: 'bootstrap-admin', role: 'admin', email: null, hash: hashKey(key), prefix: key.slice(0, 8) });
    this.logger.log('Bootstrap admin key ensured');
  }

  /** Creates a key and returns it; only its hash is stored, so it is shown once. */
  async create(input: { name: string; role: string; email?: string }): Promise<{ id: string; key: string; role: Role }> {
    if (!(ROLES as readonly string[]).includes(input.role)) {
      throw new DomainError('validation_failed', `role must be one of ${ROLES.join(', ')}`);
    }
    const role = input.role as Role;
    const email = input.email?.trim().toLowerCase() || null;
    if (role === 'manager' && !email) throw new DomainError('validation_failed', 'a manager key needs --email (the account manager)');
    if (!input.name.trim()) throw new DomainError('validation_failed', 'name is required');
    const key = `cw_${randomBytes(24).toString('base64url')}`;
    const id = await this.repository.insert({ name: input.name.trim(), role, email, hash: hashKey(key), prefix: key.slice(0, 8) });
    return { id, key, role };
  }

  /**
   * The key's principal, or null for an unknown or revoked key. A check is remembered for
   * auth.keyCacheSeconds (unknown keys too, so a client retrying a bad key costs no reads).
   */
  async authenticate(key: string, now = Date.now()): Promise<Principal | null> {
    const hash = hashKey(key);
    const hit = this.checked.get(hash);
    if (hit && hit.until > now) return hit.principal;
    const principal = await this.repository.findActiveByHash(hash);
    const ttlMs = this.config.auth.keyCacheSeconds * 1000;
    if (ttlMs > 0) {
      if (this.checked.size >= CACHE_MAX) this.checked.clear();
      this.checked.set(hash, { principal, until: now + ttlMs });
    }
    if (principal) this.touch(principal.keyId);
    return principal;
  }

  /** The key with this id, unless it was revoked or never existed. */
  findActiveById(id: string): Promise<Principal | null> {
    return this.repository.findActiveById(id);
  }

  /** last_used_at is informational: written at most every few minutes per key, off the request path. */
  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.lastTouched.get(id) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(id, now);
    this.repository.touch(id).catch((err: Error) => this.logger.warn(`last_used_at not updated: ${err.message}`));
  }
}
