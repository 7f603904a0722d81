import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { describe } from 'vitest';

/** The stores a black-box test runs against. */
export type StoreKind = 'sqlite' | 'mysql';

/** Admin URL of a MariaDB/MySQL server for tests (e.g. mysql://root@127.0.0.1:3306/test); unset skips the mysql variants. */
export const mysqlTestUrl: string | undefined = process.env.CRATON_TEST_MYSQL_URL || undefined;

/** Every store enabled in this run: always sqlite, plus mysql when CRATON_TEST_MYSQL_URL is set. */
export const stores: StoreKind[] = mysqlTestUrl ? ['sqlite', 'mysql'] : ['sqlite'];

// Vitest evaluates this module once per test file (isolated forks), so this warns once per file.
if (!mysqlTestUrl) {
  console.warn(
    '\n*** MariaDB tests SKIPPED: set CRATON_TEST_MYSQL_URL (e.g. mysql://root@127.0.0.1:3306/test) ***\n',
  );
}

/**
 * Declares one describe block per store, titled `title [store]`. The mysql block is always declared
 * but skipped (visibly, in vitest's output) when CRATON_TEST_MYSQL_URL is not set.
 * `fn` must only register hooks and tests: it also runs, to collect them, for a skipped store.
 */
export function describeEachStore(title: string, fn: (store: StoreKind) => void): void {
  for (const store of ['sqlite', 'mysql'] as const) {
    describe.skipIf(!stores.includes(store))(`${title} [${store}]`, () => fn(store));
  }
}

/**
 * A fresh, empty database for one test file: a new SQLite file in a temp dir, or a new MariaDB database on
 * CRATON_TEST_MYSQL_URL's server. Returns its CRATON_DATABASE_URL and a `drop()` that removes it.
 */
export async function createTestDatabase(kind: StoreKind, prefix = 'craton_t'): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), `${prefix.replace(/_/g, '-')}-`));
    return { url: `sqlite:${join(dir, 'craton.sqlite')}`, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  const adminUrl = mysqlTestUrl;
  if (!adminUrl) throw new Error('mysql store requested but CRATON_TEST_MYSQL_URL is not set');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const onAdmin = async (sql: string) => {
    const conn = await createConnection(adminUrl);
    try {
      await conn.query(sql);
    } finally {
      await conn.end();
    }
  };
  await onAdmin(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => onAdmin(`DROP DATABASE IF EXISTS \`${name}\``) };
}
