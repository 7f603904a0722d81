/**
 * Runs the shared JSON-containment table on a real MariaDB/MySQL, so the SQLite user function and
 * the MySQL store answer variable searches alike. Needs CRATON_TEST_MYSQL_URL, e.g.
 * mysql://root@127.0.0.1:3306/test; skipped (loudly) without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from 'mysql2/promise';
import { jsonMatch } from '../../src/inventory/json-match.js';
import { caseCandidateText, caseDocText, jsonMatchCases } from '../cases/json-match-cases.js';

const url = process.env['CRATON_TEST_MYSQL_URL'];
if (!url) {
  console.warn(
    '\n*** json-match-mariadb: CRATON_TEST_MYSQL_URL is not set, so JSON_CONTAINS parity with MySQL/MariaDB is NOT checked. ' +
      'Set it, e.g. CRATON_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test ***\n',
  );
}

describe.skipIf(!url)('JSON_CONTAINS(JSON_EXTRACT(doc, path), candidate) on the database', () => {
  let connection: Connection;
  let isMariaDb = false;

  beforeAll(async () => {
    const mysql = await import('mysql2/promise');
    connection = await mysql.createConnection(url!);
    const [rows] = await connection.query('SELECT VERSION() AS v');
    isMariaDb = /mariadb/i.test(String((rows as Array<{ v: string }>)[0]?.v));
  });

  afterAll(async () => {
    await connection?.end();
  });

  async function databaseMatch(docText: string, path: string, candidateText: string): Promise<0 | 1> {
    const [rows] = await connection.query('SELECT JSON_CONTAINS(JSON_EXTRACT(?, ?), ?) AS m', [docText, path, candidateText]);
    const m = (rows as Array<{ m: number | string | null }>)[0]?.m;
    return m === null || m === undefined ? 0 : Number(m) === 1 ? 1 : 0;
  }

  for (const c of jsonMatchCases) {
    const label = `${caseDocText(c)} at ${c.path} vs ${caseCandidateText(c)}`;
    it(`agrees with the JavaScript matcher: ${c.why} (${label})`, async () => {
      const js = jsonMatch(caseDocText(c), c.path, caseCandidateText(c));
      const db = await databaseMatch(caseDocText(c), c.path, caseCandidateText(c));
      if (c.mariadb && isMariaDb) {
        // A known MariaDB departure from MySQL; pinned so a MariaDB upgrade that fixes it is noticed.
        expect(db, c.mariadb.why).toBe(c.mariadb.expected ? 1 : 0);
        expect(js).toBe(c.expected ? 1 : 0);
      } else {
        expect(db).toBe(js);
      }
    });
  }
});
