import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { UnauthenticatedError } from '../errors.js';
import { ApiKeyRow } from '../store/entities.js';
import { sqlScope } from '../store/sql-counter.js';
import { exclusiveWrite } from '../store/transaction.js';
import type { Principal } from './principal.js';

/** A new secret: `crt_` + 40 base64url characters (240 bits). */
export function generateSecret(): string {
  return `crt_${randomBytes(30).toString('base64url')}`;
}

/** sha256 hex of a secret; keys are high-entropy, so a fast hash is the right tool (no salt needed). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** What a list of keys shows of a secret. */
export function prefixOf(secret: string): string {
  return secret.slice(0, 10);
}

/** Writes `last_used_at` at most once per key per this interval: cheap, never a write per request. */
const LAST_USED_RESOLUTION_MS = 5 * 60_000;

/**
 * Checks API keys: one indexed statement per request (by hash), plus an occasional `last_used_at` write
 * that runs outside the request's SQL tally.
 */
export class KeyAuthenticator {
  private readonly lastWritten = new Map<number, number>();

  constructor(private readonly ds: DataSource, private readonly now: () => Date = () => new Date()) {}

  /** Resolves the principal of `Authorization: Bearer <secret>`; UNAUTHENTICATED for anything else. */
  async authenticate(header: string | undefined): Promise<Principal> {
    if (!header) throw new UnauthenticatedError();
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new UnauthenticatedError('Authorization must be "Bearer <api key>"');
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      'SELECT k.id AS key_id, k.expires_at AS expires_at, k.revoked_at AS revoked_at, k.last_used_at AS last_used_at, ' +
        'u.id AS user_id, u.name AS user_name, u.role AS role, u.is_root AS is_root, u.project_id AS project_id ' +
        'FROM api_keys k INNER JOIN users u ON u.id = k.user_id WHERE k.token_hash = ?',
      [hashSecret(m[1]!)],
    );
    const row = rows[0];
    const now = this.now();
    if (!row) throw new UnauthenticatedError('Unknown API key');
    if (row.revoked_at) throw new UnauthenticatedError('This API key has been revoked');
    if (row.expires_at && toDate(row.expires_at) <= now) throw new UnauthenticatedError('This API key has expired');
    const keyId = Number(row.key_id);
    this.touch(keyId, row.last_used_at ? toDate(row.last_used_at) : null, now);
    return {
      keyId,
      userId: Number(row.user_id),
      userName: String(row.user_name),
      role: row.role as Principal['role'],
      isRoot: row.is_root === true || Number(row.is_root) === 1,
      homeProjectId: Number(row.project_id),
    };
  }

  private touch(keyId: number, stored: Date | null, now: Date): void {
    const last = this.lastWritten.get(keyId) ?? stored?.getTime() ?? 0;
    if (now.getTime() - last < LAST_USED_RESOLUTION_MS) return;
    this.lastWritten.set(keyId, now.getTime());
    sqlScope.exit(() => {
      exclusiveWrite(this.ds, () => this.ds.getRepository(ApiKeyRow).update({ id: keyId }, { lastUsedAt: now })).catch(() => this.lastWritten.delete(keyId));
    });
  }
}

/** Dates come back as Date (MySQL) or as text (SQLite, stored as UTC `YYYY-MM-DD HH:MM:SS.SSS`). */
export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  const s = String(value);
  return new Date(/Z|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`);
}
