import { QueryFailedError } from 'typeorm';

function driverCode(err: unknown): string | undefined {
  if (!(err instanceof QueryFailedError)) return undefined;
  const driver = err.driverError as { code?: string; errno?: number } | undefined;
  return driver?.code;
}

/** True for a unique or primary-key violation on either store. */
export function isUniqueViolation(err: unknown): boolean {
  const code = driverCode(err);
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** True for a foreign-key violation on either store. */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = driverCode(err);
  return code === 'ER_NO_REFERENCED_ROW_2' || code === 'ER_ROW_IS_REFERENCED_2' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
