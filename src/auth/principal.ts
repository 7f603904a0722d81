import { ForbiddenError } from '../errors.js';
import type { RoleName } from '../store/entities.js';

/** Who is calling: the user behind the API key. */
export interface Principal {
  userId: number;
  userName: string;
  role: RoleName;
  /** Root may act in any project (X-Craton-Project) and create projects. */
  isRoot: boolean;
  /** The user's own project. */
  homeProjectId: number;
  keyId: number;
}

const RANK: Record<RoleName, number> = { VIEWER: 0, OPERATOR: 1, ADMIN: 2 };

/** True when the principal holds at least `role` (root holds every role in every project). */
export function hasRole(principal: Principal, role: RoleName): boolean {
  return principal.isRoot || RANK[principal.role] >= RANK[role];
}

/** Throws FORBIDDEN naming the needed role and the caller's when the principal is too weak for `action`. */
export function requireRole(principal: Principal, role: RoleName, action: string): void {
  if (!hasRole(principal, role)) {
    throw new ForbiddenError(`${action} requires the ${role} role; you are ${principal.role}`);
  }
}

/** Throws FORBIDDEN unless the principal is root. */
export function requireRoot(principal: Principal, action: string): void {
  if (!principal.isRoot) throw new ForbiddenError(`${action} requires a root user`);
}
