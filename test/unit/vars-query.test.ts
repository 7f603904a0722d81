import { describe, expect, it } from 'vitest';
import {
  INVALID_JSON_PATH,
  INVALID_JSON_VALUE,
  VarsQueryError,
  formatMysqlPath,
  parseMysqlPath,
  parseVarsPath,
  parseVarsQuery,
} from '../../src/inventory/vars-query.js';

/** The error a call throws, or fails the test. */
function thrown(fn: () => unknown): VarsQueryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VarsQueryError);
    return err as VarsQueryError;
  }
  throw new Error('expected a VarsQueryError');
}

describe('path conversion (every row of reference §2.5)', () => {
  const rows: Array<[query: string, key: string, mysqlPath: string]> = [
    ['a', 'a', '$'],
    ['foo.foo.nested_string', 'foo', '$.foo.nested_string'],
    ['foo.*', 'foo', '$.*'],
    ['foo[5]', 'foo', '$[5]'],
    ['foo[*]', 'foo', '$[*]'],
    ['foo.bar[*]', 'foo', '$.bar[*]'],
    ['foo.foo."hyphenated-key"', 'foo', '$.foo."hyphenated-key"'],
    ['"v3.0".foo."hyphenated-key"', 'v3.0', '$.foo."hyphenated-key"'],
    ['hardware_profiles.disks[*].manufacturer', 'hardware_profiles', '$.disks[*].manufacturer'],
    ['region1_array[2]', 'region1_array', '$[2]'],
    ['cloud1_dict.bar[3]', 'cloud1_dict', '$.bar[3]'],
    ['foo[*].bar[0]', 'foo', '$[*].bar[0]'],
    ['x[0][1]', 'x', '$[0][1]'],
  ];
  for (const [query, key, mysqlPath] of rows) {
    it(`turns ${query} into key ${key} and path ${mysqlPath}`, () => {
      const [pair] = parseVarsQuery(`${query}:1`);
      expect(pair).toMatchObject({ key, path: mysqlPath });
    });
  }

  it('keeps both indexes of x[0][1] (the original dropped the second)', () => {
    expect(parseVarsPath('x[0][1]').legs).toEqual([
      { kind: 'index', index: 0 },
      { kind: 'index', index: 1 },
    ]);
  });

  const errors: Array<[query: string, reason: RegExp]> = [
    ['v3.0.foo', /'0' is not a valid unquoted key/],
    ['[*]foo.bar', /must start with a variable key/],
    ['foo[1:3]', /slices .* are not supported/],
    ['foo..bar', /descendants operator '\.\.' is not supported/],
    ['foo.hyphenated-key', /unquoted key 'hyphenated-key' contains '-'; quote it as "hyphenated-key"/],
    ['$.foo', /without MySQL's leading '\$'/],
  ];
  for (const [query, reason] of errors) {
    it(`rejects ${query} as an invalid JSON path`, () => {
      const err = thrown(() => parseVarsQuery(`${query}:"x"`));
      expect(err.message).toBe('The query contains an invalid JSON Path expression.');
      expect(err.detail).toMatch(/^pair 1 \(/);
      expect(err.detail).toMatch(reason);
    });
  }
});

describe('other path rules', () => {
  const rejected: Array<[path: string, reason: RegExp]> = [
    ['*.a', /first leg must be a literal variable key/],
    ['foo.**.bar', /'\*\*' operator is not supported/],
    ['foo**', /unexpected '\*'/],
    ['foo.', /ends with '\.'/],
    ['.foo', /must start with a variable key/],
    ['..foo', /descendants operator/],
    ['$foo', /leading '\$'/],
    ['foo[-1]', /'\[-1\]' is not an array selector/],
    ['foo[last]', /'\[last\]' is not an array selector/],
    ['foo[ 1 ]', /'\[ 1 \]' is not an array selector/],
    ['foo[1', /unterminated '\['/],
    ['foo[2147483648]', /larger than 2147483647/],
    ['foo bar', /unexpected ' '/],
    ['foo. bar', /whitespace/],
    ['"unterminated', /unterminated quoted key/],
    ['"bad\\x"', /not a valid JSON string/],
    ['""', /the variable key is empty/],
    ['foo.*bar', /unexpected 'b'/],
    ['foo.1', /'1' is not a valid unquoted key/],
    ['', /the path is empty/],
  ];
  for (const [path, reason] of rejected) {
    it(`rejects the path '${path}'`, () => {
      const err = thrown(() => parseVarsPath(path));
      expect(err.message).toBe(INVALID_JSON_PATH);
      expect(err.detail).toMatch(reason);
    });
  }

  it('accepts a quoted first key that starts with $', () => {
    expect(parseVarsPath('"$foo".a')).toEqual({ key: '$foo', legs: [{ kind: 'member', name: 'a' }] });
  });

  it('accepts non-ASCII identifiers and quotes them in the MySQL path', () => {
    const [pair] = parseVarsQuery('größe.höhe:1');
    expect(pair).toMatchObject({ key: 'größe', path: '$."höhe"' });
  });

  it('decodes escapes in quoted keys', () => {
    expect(parseVarsPath('"a\\"b"."c\\u0064"')).toEqual({ key: 'a"b', legs: [{ kind: 'member', name: 'cd' }] });
  });

  it('returns structured legs for every leg kind', () => {
    expect(parseVarsPath('k.a[2].*[*]')).toEqual({
      key: 'k',
      legs: [{ kind: 'member', name: 'a' }, { kind: 'index', index: 2 }, { kind: 'anyMember' }, { kind: 'anyIndex' }],
    });
  });

  it('allows a key written with or without quotes to mean the same path', () => {
    const [pair] = parseVarsQuery('"foo".bar:1');
    expect(pair).toMatchObject({ key: 'foo', path: '$.bar' });
  });
});

describe('JSON values', () => {
  const accepted: Array<[text: string, value: unknown]> = [
    ['"string"', 'string'],
    ['12', 12],
    ['3.14', 3.14],
    ['-1', -1],
    ['true', true],
    ['false', false],
    ['null', null],
    ['{"cpu":8}', { cpu: 8 }],
    ['["a"]', ['a']],
    ['"with:colon"', 'with:colon'],
  ];
  for (const [text, value] of accepted) {
    it(`accepts ${text}`, () => {
      const [pair] = parseVarsQuery(`k:${text}`);
      expect(pair!.candidate).toEqual(value);
      expect(pair!.candidateJson).toBe(JSON.stringify(value));
    });
  }

  const rejected: Array<[text: string, reason: RegExp]> = [
    ['string', /value 'string' is not valid JSON \(strings must be double-quoted\)/],
    ['', /the JSON value is empty/],
    ["'single'", /is not valid JSON/],
    ['{"a":1', /is not valid JSON/],
    ['1e400', /number out of range/],
    ['[1e999]', /number out of range/],
    ['tru', /is not valid JSON/],
  ];
  for (const [text, reason] of rejected) {
    it(`rejects ${text === '' ? 'an empty value' : text} as an invalid JSON value`, () => {
      const err = thrown(() => parseVarsQuery(`foo.bar:${text}`));
      expect(err.message).toBe('An invalid JSON value was specified.');
      expect(err.detail).toMatch(reason);
    });
  }

  it('sends canonical JSON text, not the text as typed', () => {
    expect(parseVarsQuery('k: { "a" : [ 1 ] }')[0]!.candidateJson).toBe('{"a":[1]}');
    expect(parseVarsQuery('k:3.0')[0]!.candidateJson).toBe('3');
  });

  it('splits an object with two members at the comma, so the value is invalid', () => {
    const err = thrown(() => parseVarsQuery('hw:{"cpu":8,"ram":64}'));
    expect(err.message).toBe(INVALID_JSON_VALUE);
    expect(err.detail).toMatch(/^pair 1 \('hw:\{"cpu":8'\)/);
  });
});

describe('pairs', () => {
  it('returns every pair in order', () => {
    const pairs = parseVarsQuery('hardware_profiles.disks[*].manufacturer:"Seagate","os-information".release.version:"4.4.0",hardware.core_count:12');
    expect(pairs.map((p) => [p.key, p.path, p.candidate])).toEqual([
      ['hardware_profiles', '$.disks[*].manufacturer', 'Seagate'],
      ['os-information', '$.release.version', '4.4.0'],
      ['hardware', '$.core_count', 12],
    ]);
  });

  it('splits each pair on its first colon only', () => {
    const [pair] = parseVarsQuery('k:"a:b:c"');
    expect(pair!.candidate).toBe('a:b:c');
  });

  it('collapses duplicate paths to the last value, at the first position', () => {
    const pairs = parseVarsQuery('a.b:1,c:3,a.b:2');
    expect(pairs.map((p) => [p.key, p.path, p.candidate])).toEqual([
      ['a', '$.b', 2],
      ['c', '$', 3],
    ]);
  });

  it('treats quoted and unquoted spellings of one path as duplicates', () => {
    const pairs = parseVarsQuery('foo."bar":1,foo.bar:2');
    expect(pairs).toHaveLength(1);
    expect(pairs[0]!.candidate).toBe(2);
  });

  it('keeps different paths under one key apart', () => {
    expect(parseVarsQuery('a.b:1,a.c:2,a:3')).toHaveLength(3);
  });

  it('ignores spaces, tabs and newlines around pairs, paths and values', () => {
    const pairs = parseVarsQuery(' a.b : 1 ,\t c :\n"x" ');
    expect(pairs.map((p) => [p.key, p.path, p.candidate])).toEqual([
      ['a', '$.b', 1],
      ['c', '$', 'x'],
    ]);
  });

  it('names the failing pair by position in the detail', () => {
    const err = thrown(() => parseVarsQuery('a:1,foo..bar:2'));
    expect(err.detail).toBe("pair 2 ('foo..bar'): descendants operator '..' is not supported");
  });

  const malformed: Array<[input: string, reason: RegExp]> = [
    ['', /the variable search is empty/],
    ['   ', /the variable search is empty/],
    ['foo', /pair 1 \('foo'\): missing ':'/],
    ['a:1,', /pair 2 is empty/],
    ['a:1,,b:2', /pair 2 is empty/],
    [':1', /pair 1 \(''\): the path is empty/],
  ];
  for (const [input, reason] of malformed) {
    it(`rejects ${JSON.stringify(input)} as an invalid JSON path`, () => {
      const err = thrown(() => parseVarsQuery(input));
      expect(err.message).toBe(INVALID_JSON_PATH);
      expect(err.detail).toMatch(reason);
    });
  }

  it('throws an Error subclass named VarsQueryError', () => {
    const err = thrown(() => parseVarsQuery('x'));
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('VarsQueryError');
  });
});

describe('MySQL path formatting', () => {
  it('writes each leg kind', () => {
    expect(formatMysqlPath([])).toBe('$');
    expect(formatMysqlPath([{ kind: 'member', name: 'a' }])).toBe('$.a');
    expect(formatMysqlPath([{ kind: 'member', name: 'hyphen-key' }])).toBe('$."hyphen-key"');
    expect(formatMysqlPath([{ kind: 'index', index: 2 }])).toBe('$[2]');
    expect(formatMysqlPath([{ kind: 'anyIndex' }])).toBe('$[*]');
    expect(formatMysqlPath([{ kind: 'anyMember' }])).toBe('$.*');
  });

  it('quotes every name that is not a plain ASCII identifier', () => {
    for (const name of ['a b', '1a', 'é', 'a"b', 'a\\b', 'a$b', '', 'v3.0']) {
      expect(formatMysqlPath([{ kind: 'member', name }])).toBe(`$.${JSON.stringify(name)}`);
    }
  });

  it('parses its own output back to the same legs', () => {
    const legs = parseVarsPath('k."a b".c[3][*].*."é"').legs;
    expect(parseMysqlPath(formatMysqlPath(legs))).toEqual(legs);
  });

  it('refuses MySQL paths outside the subset', () => {
    for (const path of ['a', '$..a', '$**.a', '$[last]', '$[1 to 2]', '$.a.']) {
      expect(() => parseMysqlPath(path)).toThrow(VarsQueryError);
    }
  });
});
