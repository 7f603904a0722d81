import { describe, expect, it } from 'vitest';
import { jsonContains, jsonExtract, jsonMatch } from '../../src/inventory/json-match.js';
import { formatMysqlPath, parseMysqlPath } from '../../src/inventory/vars-query.js';
import { caseCandidateText, caseDocText, jsonMatchCases } from '../cases/json-match-cases.js';

describe('jsonMatch over the shared containment table', () => {
  for (const c of jsonMatchCases) {
    it(`${c.expected ? 'matches' : 'does not match'}: ${c.why} (${caseDocText(c)} at ${c.path} vs ${caseCandidateText(c)})`, () => {
      expect(jsonMatch(caseDocText(c), c.path, caseCandidateText(c))).toBe(c.expected ? 1 : 0);
    });
  }

  it('uses only paths that formatMysqlPath writes back unchanged', () => {
    for (const c of jsonMatchCases) expect(formatMysqlPath(parseMysqlPath(c.path))).toBe(c.path);
  });
});

describe('jsonExtract', () => {
  const doc = { hw: { disks: [{ vendor: 'Seagate' }, { vendor: 'WD' }, { size: 1 }] }, tags: ['a'] };

  it('returns the single value for a path without wildcards', () => {
    expect(jsonExtract(doc, parseMysqlPath('$.hw.disks[1].vendor'))).toEqual({ found: true, value: 'WD' });
  });

  it('returns the whole document for $', () => {
    expect(jsonExtract(doc, [])).toEqual({ found: true, value: doc });
  });

  it('returns every wildcard match as an array, skipping elements without the member', () => {
    expect(jsonExtract(doc, parseMysqlPath('$.hw.disks[*].vendor'))).toEqual({ found: true, value: ['Seagate', 'WD'] });
  });

  it('wraps a single wildcard match in an array', () => {
    expect(jsonExtract(doc, parseMysqlPath('$.tags[*]'))).toEqual({ found: true, value: ['a'] });
  });

  it('reports a missing path as not found', () => {
    expect(jsonExtract(doc, parseMysqlPath('$.hw.cpu'))).toEqual({ found: false });
    expect(jsonExtract(doc, parseMysqlPath('$.tags[3]'))).toEqual({ found: false });
  });

  it('reports a wildcard without matches as not found', () => {
    expect(jsonExtract(doc, parseMysqlPath('$.hw.disks[*].model'))).toEqual({ found: false });
  });

  it('finds a stored null', () => {
    expect(jsonExtract({ a: null }, parseMysqlPath('$.a'))).toEqual({ found: true, value: null });
  });

  it('selects a non-array value itself with [0] and nothing with [1]', () => {
    expect(jsonExtract({ a: 'x' }, parseMysqlPath('$.a[0]'))).toEqual({ found: true, value: 'x' });
    expect(jsonExtract({ a: 'x' }, parseMysqlPath('$.a[1]'))).toEqual({ found: false });
  });

  it('does not read inherited properties as members', () => {
    expect(jsonExtract({}, parseMysqlPath('$.toString'))).toEqual({ found: false });
    expect(jsonExtract({}, parseMysqlPath('$."__proto__"'))).toEqual({ found: false });
  });
});

describe('jsonContains', () => {
  it('keeps JSON scalar types apart', () => {
    expect(jsonContains(1, '1')).toBe(false);
    expect(jsonContains(true, 'true')).toBe(false);
    expect(jsonContains(true, 1)).toBe(false);
    expect(jsonContains(3.14, 3)).toBe(false);
    expect(jsonContains(null, null)).toBe(true);
    expect(jsonContains(null, false)).toBe(false);
  });

  it('matches an object subset and rejects extra candidate keys', () => {
    expect(jsonContains({ cpu: 8, ram: 64 }, { cpu: 8 })).toBe(true);
    expect(jsonContains({ cpu: 8 }, { cpu: 8, ram: 64 })).toBe(false);
  });

  it('finds a scalar in nested arrays and an object in an array of objects', () => {
    expect(jsonContains([[1, [2]]], 2)).toBe(true);
    expect(jsonContains([{ vendor: 'WD', size: 8 }], { vendor: 'WD' })).toBe(true);
  });

  it('does not look up candidate keys on the prototype', () => {
    expect(jsonContains({}, JSON.parse('{"__proto__": {}}'))).toBe(false);
    expect(jsonContains({}, { toString: 1 })).toBe(false);
  });
});

describe('jsonMatch as an SQLite function', () => {
  it('returns 0 instead of throwing for a document that is not JSON', () => {
    expect(jsonMatch('{not json', '$', '1')).toBe(0);
  });

  it('returns 0 for a path it cannot parse', () => {
    expect(jsonMatch('{"a":1}', 'a', '1')).toBe(0);
    expect(jsonMatch('{"a":1}', '$..a', '1')).toBe(0);
    expect(jsonMatch('{"a":1}', '$[1:2]', '1')).toBe(0);
  });

  it('returns 0 for a candidate that is not JSON', () => {
    expect(jsonMatch('"x"', '$', 'x')).toBe(0);
  });

  it('returns 0 for SQL NULL arguments', () => {
    const untyped = jsonMatch as (...args: unknown[]) => 0 | 1;
    expect(untyped(null, '$', '1')).toBe(0);
    expect(untyped('1', null, '1')).toBe(0);
    expect(untyped('1', '$', null)).toBe(0);
  });

  it('gives the same answer on repeated calls with cached path and candidate', () => {
    for (let i = 0; i < 3; i++) {
      expect(jsonMatch('{"a":[1,2]}', '$.a', '2')).toBe(1);
      expect(jsonMatch('{"a":[1,3]}', '$.a', '2')).toBe(0);
    }
  });

  it('keeps working after more distinct paths than its cache holds', () => {
    for (let i = 0; i < 600; i++) expect(jsonMatch(`{"k${i}":${i}}`, `$.k${i}`, String(i))).toBe(1);
    expect(jsonMatch('{"a":1}', '$.a', '1')).toBe(1);
  });
});
