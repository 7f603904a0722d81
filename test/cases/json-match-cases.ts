/**
 * Cases for `JSON_CONTAINS(JSON_EXTRACT(doc, path), candidate)`, shared by the JavaScript test
 * (test/unit/json-match.test.ts) and the same table run on a real MariaDB
 * (test/unit/json-match-mariadb.test.ts). `expected` is MySQL 5.7/8's documented answer.
 */

export interface JsonMatchCase {
  /** The stored variable value. */
  doc: unknown;
  /** Raw JSON text for the document when the text itself matters (e.g. `3.0`, escapes); else `JSON.stringify(doc)`. */
  docText?: string;
  /** MySQL path on the value, as `formatMysqlPath` writes it. */
  path: string;
  candidate: unknown;
  /** Raw JSON text for the candidate when the text itself matters; else `JSON.stringify(candidate)`. */
  candidateText?: string;
  expected: boolean;
  why: string;
  /** Where MariaDB 10.11 is known to answer differently from MySQL's documented semantics. */
  mariadb?: { expected: boolean; why: string };
}

/** The document text a case stores. */
export function caseDocText(c: JsonMatchCase): string {
  return c.docText ?? JSON.stringify(c.doc);
}

/** The candidate text a case searches for. */
export function caseCandidateText(c: JsonMatchCase): string {
  return c.candidateText ?? JSON.stringify(c.candidate);
}

const disks = { disks: [{ manufacturer: 'Seagate', size: 4 }, { manufacturer: 'WD', size: 8 }] };
const hw = { cpu: 8, ram: 64, nic: { speed: 10, vendor: 'Intel' } };

export const jsonMatchCases: JsonMatchCase[] = [
  // Scalars: same JSON type and equal.
  { doc: 1, path: '$', candidate: 1, expected: true, why: 'equal integers' },
  { doc: 1, path: '$', candidate: '1', expected: false, why: 'number 1 is not string "1"' },
  { doc: '1', path: '$', candidate: 1, expected: false, why: 'string "1" is not number 1' },
  { doc: true, path: '$', candidate: 'true', expected: false, why: 'boolean true is not string "true"' },
  { doc: 'true', path: '$', candidate: true, expected: false, why: 'string "true" is not boolean true' },
  { doc: false, path: '$', candidate: 'false', expected: false, why: 'boolean false is not string "false"' },
  { doc: false, path: '$', candidate: false, expected: true, why: 'equal booleans' },
  { doc: true, path: '$', candidate: 1, expected: false, why: 'boolean true is not number 1' },
  { doc: 1, path: '$', candidate: true, expected: false, why: 'number 1 is not boolean true' },
  { doc: 0, path: '$', candidate: false, expected: false, why: 'number 0 is not boolean false' },
  { doc: 3.14, path: '$', candidate: 3, expected: false, why: '3.14 is not 3' },
  { doc: 3, docText: '3.0', path: '$', candidate: 3, expected: true, why: 'numbers compare numerically: stored 3.0 equals 3' },
  { doc: 3, path: '$', candidate: 3, candidateText: '3.0', expected: true, why: 'numbers compare numerically: 3 equals candidate 3.0' },
  { doc: 100, docText: '1e2', path: '$', candidate: 100, expected: true, why: 'exponent notation is the same number' },
  { doc: 0.1, path: '$', candidate: 0.1, candidateText: '0.10', expected: true, why: 'trailing zeros do not matter' },
  { doc: null, path: '$', candidate: null, expected: true, why: 'JSON null matches null' },
  { doc: null, path: '$', candidate: 'null', expected: false, why: 'null is not the string "null"' },
  { doc: 'null', path: '$', candidate: null, expected: false, why: 'the string "null" is not null' },
  { doc: 0, path: '$', candidate: null, expected: false, why: '0 is not null' },
  { doc: 'Seagate', path: '$', candidate: 'Seagate', expected: true, why: 'equal strings' },
  { doc: 'Seagate', path: '$', candidate: 'seagate', expected: false, why: 'string comparison is case-sensitive' },
  { doc: 'é', path: '$', candidate: 'é', expected: true, why: 'equal non-ASCII strings' },
  { doc: 1, path: '$', candidate: [1], expected: false, why: 'an array candidate is never contained in a scalar' },
  { doc: 1, path: '$', candidate: [], expected: false, why: 'even an empty array candidate is not contained in a scalar' },
  { doc: 'a', path: '$', candidate: { a: 1 }, expected: false, why: 'an object candidate is not contained in a scalar' },

  // Objects: subset match.
  { doc: hw, path: '$', candidate: { cpu: 8 }, expected: true, why: 'object subset' },
  { doc: hw, path: '$', candidate: { cpu: 8, ram: 64 }, expected: true, why: 'object subset with two keys' },
  { doc: hw, path: '$', candidate: { cpu: 8, disk: 1 }, expected: false, why: 'a candidate key missing from the target' },
  { doc: hw, path: '$', candidate: { cpu: '8' }, expected: false, why: 'member values keep their JSON types' },
  { doc: hw, path: '$', candidate: { nic: { vendor: 'Intel' } }, expected: true, why: 'nested object subset' },
  { doc: hw, path: '$', candidate: { nic: 'Intel' }, expected: false, why: 'a scalar is not contained in a nested object' },
  { doc: hw, path: '$', candidate: 8, expected: false, why: 'a scalar candidate never matches an object target' },
  { doc: hw, path: '$', candidate: [8], expected: false, why: 'an array candidate never matches an object target' },
  { doc: {}, path: '$', candidate: {}, expected: true, why: 'empty object contains empty object' },
  { doc: { a: 1 }, path: '$', candidate: {}, expected: true, why: 'every object contains {}' },
  { doc: { a: [1, 2, 3] }, path: '$', candidate: { a: [3, 1] }, expected: true, why: 'array member contains the candidate array' },
  { doc: { a: [1, 2, 3] }, path: '$', candidate: { a: 2 }, expected: true, why: 'array member contains the candidate scalar' },

  // Arrays.
  { doc: ['a', 'b'], path: '$', candidate: 'a', expected: true, why: 'a scalar in a top-level array variable' },
  { doc: ['a', 'b'], path: '$', candidate: 'c', expected: false, why: 'scalar absent from the array' },
  { doc: ['a', 'b'], path: '$', candidate: ['b', 'a'], expected: true, why: 'array candidate: order does not matter' },
  { doc: ['a', 'b'], path: '$', candidate: ['a', 'c'], expected: false, why: 'array candidate: every element must be present' },
  { doc: [1, 2], path: '$', candidate: [1, 1], expected: true, why: 'duplicates in the candidate are fine' },
  { doc: [], path: '$', candidate: [], expected: true, why: 'empty array contains empty array' },
  { doc: [1, 2], path: '$', candidate: [], expected: true, why: 'every array contains []' },
  { doc: [], path: '$', candidate: 1, expected: false, why: 'empty array contains no scalar' },
  { doc: [1], path: '$', candidate: '1', expected: false, why: 'array elements keep their JSON types' },
  { doc: [1, '1'], path: '$', candidate: '1', expected: true, why: 'the string element matches' },
  { doc: [true], path: '$', candidate: 1, expected: false, why: 'true in an array is not 1' },
  { doc: [null], path: '$', candidate: null, expected: true, why: 'null element matches null' },
  { doc: [[1, 2], 3], path: '$', candidate: 1, expected: true, why: 'a scalar inside a nested array matches, recursively' },
  { doc: [1, [2, [3]]], path: '$', candidate: 3, expected: true, why: 'recursion goes to any depth' },
  { doc: [1, [2, 3]], path: '$', candidate: [2], expected: true, why: 'each candidate element may sit in a nested array' },
  {
    doc: [1, 2],
    path: '$',
    candidate: [[1]],
    expected: false,
    why: 'an array candidate element only matches an array element',
    mariadb: { expected: true, why: 'MariaDB flattens arrays nested in an array candidate and looks for their elements anywhere in the target' },
  },
  {
    doc: [[1], 2],
    path: '$',
    candidate: [[2]],
    expected: false,
    why: 'the nested candidate [2] needs a nested target array holding 2',
    mariadb: { expected: true, why: 'MariaDB flattens arrays nested in an array candidate and looks for their elements anywhere in the target' },
  },
  {
    doc: [],
    path: '$',
    candidate: [[]],
    expected: false,
    why: 'an empty array has no array element to hold []',
    mariadb: { expected: true, why: 'MariaDB flattens arrays nested in an array candidate and looks for their elements anywhere in the target' },
  },
  { doc: [[1, 2]], path: '$', candidate: [[1]], expected: true, why: 'nested array contains nested array' },
  { doc: [{ x: 1, y: 2 }], path: '$', candidate: { x: 1 }, expected: true, why: 'an object inside an array, by subset' },
  { doc: [{ x: 1, y: 2 }], path: '$', candidate: [{ y: 2 }], expected: true, why: 'array of objects contains array of object subsets' },
  { doc: [{ x: 1 }], path: '$', candidate: { x: 2 }, expected: false, why: 'no element object has x = 2' },
  { doc: [{ x: 1 }], path: '$', candidate: 1, expected: false, why: 'a scalar does not match inside an object element' },
  { doc: [[{ x: 1 }]], path: '$', candidate: { x: 1 }, expected: true, why: 'an object in a nested array' },

  // Paths.
  { doc: { foo: { nested_string: 'x' } }, path: '$.foo.nested_string', candidate: 'x', expected: true, why: 'nested member' },
  { doc: { foo: 'x' }, path: '$.nope', candidate: null, expected: false, why: 'a missing path is SQL NULL, which matches nothing, not even null' },
  { doc: { a: null }, path: '$.a', candidate: null, expected: true, why: 'a stored null at the path is a value' },
  { doc: { a: 'str' }, path: '$.a.b', candidate: 'str', expected: false, why: 'a member of a string does not exist' },
  { doc: [1, 2], path: '$[5]', candidate: 1, expected: false, why: 'index out of range' },
  { doc: [1, 2], path: '$[1]', candidate: 2, expected: true, why: 'array index' },
  { doc: [[1, 2], [3]], path: '$[0][1]', candidate: 2, expected: true, why: 'two indexes in a row (x[0][1]) are both applied' },
  { doc: [[1, 2], [3]], path: '$[0][1]', candidate: 1, expected: false, why: 'x[0][1] is 2, not 1' },
  { doc: 'abc', path: '$[0]', candidate: 'abc', expected: true, why: '[0] on a non-array selects the value itself (autowrap)' },
  { doc: { a: 1 }, path: '$[0]', candidate: { a: 1 }, expected: true, why: '[0] on an object selects the object (autowrap)' },
  { doc: { a: 1 }, path: '$[1]', candidate: { a: 1 }, expected: false, why: '[1] on a non-array selects nothing' },
  { doc: { a: { b: 1 } }, path: '$.a[0].b', candidate: 1, expected: true, why: 'autowrap in the middle of a path' },
  { doc: { 'hyphenated-key': 'v' }, path: '$."hyphenated-key"', candidate: 'v', expected: true, why: 'quoted member with a hyphen' },
  { doc: { 'v3.0': { foo: 1 } }, path: '$."v3.0".foo', candidate: 1, expected: true, why: 'quoted member with a dot' },
  { doc: { '': 1 }, path: '$.""', candidate: 1, expected: true, why: 'the empty member name' },
  { doc: { 'a b': 1 }, path: '$."a b"', candidate: 1, expected: true, why: 'quoted member with a space' },
  { doc: { 'a"b': 1 }, path: '$."a\\"b"', candidate: 1, expected: true, why: 'quoted member with an escaped quote' },
  { doc: { 'a\\b': 1 }, path: '$."a\\\\b"', candidate: 1, expected: true, why: 'quoted member with an escaped backslash' },
  { doc: { é: 1 }, path: '$."é"', candidate: 1, expected: true, why: 'non-ASCII member names are quoted' },
  { doc: { a$b: 1 }, path: '$."a$b"', candidate: 1, expected: true, why: 'a member with $ is quoted' },

  // Wildcards: the matches form an array.
  { doc: disks, path: '$.disks[*].manufacturer', candidate: 'Seagate', expected: true, why: 'any disk is a Seagate' },
  { doc: disks, path: '$.disks[*].manufacturer', candidate: 'Hitachi', expected: false, why: 'no disk is a Hitachi' },
  { doc: disks, path: '$.disks[*].manufacturer', candidate: ['WD', 'Seagate'], expected: true, why: 'both vendors are present' },
  { doc: disks, path: '$.disks[*]', candidate: { manufacturer: 'WD' }, expected: true, why: 'an object subset among wildcard matches' },
  { doc: disks, path: '$.disks[0].manufacturer', candidate: 'WD', expected: false, why: 'the first disk is not WD' },
  { doc: disks, path: '$.disks[*].model', candidate: 'x', expected: false, why: 'a wildcard with no matches is SQL NULL' },
  { doc: { a: 'zoo', b: 'bar' }, path: '$.*', candidate: 'zoo', expected: true, why: 'any member is "zoo"' },
  { doc: { a: 'zoo', b: 'bar' }, path: '$.*', candidate: 'baz', expected: false, why: 'no member is "baz"' },
  { doc: { a: [1, 2] }, path: '$.*', candidate: 1, expected: true, why: 'wildcard wraps [[1,2]]; 1 is found recursively' },
  { doc: { a: [1, 2] }, path: '$.*', candidate: [[1, 2]], expected: true, why: 'wildcard wraps a single match in an array' },
  {
    doc: { a: [1, 2] },
    path: '$.a',
    candidate: [[1, 2]],
    expected: false,
    why: 'without a wildcard there is no wrapping',
    mariadb: { expected: true, why: 'MariaDB flattens arrays nested in an array candidate and looks for their elements anywhere in the target' },
  },
  { doc: [5], path: '$[*]', candidate: [5], expected: true, why: 'a single [*] match is still an array' },
  { doc: [[1], [2]], path: '$[*]', candidate: [1], expected: true, why: '[*] over nested arrays' },
  { doc: { a: 1 }, path: '$[*]', candidate: 1, expected: false, why: '[*] on an object selects nothing' },
  { doc: [1, 2], path: '$.*', candidate: 1, expected: false, why: '.* on an array selects nothing' },
  { doc: [{ bar: [7, 8] }, { bar: [9] }], path: '$[*].bar[0]', candidate: 9, expected: true, why: 'index after a wildcard' },
  { doc: [{ bar: [7, 8] }, { bar: [9] }], path: '$[*].bar[0]', candidate: 8, expected: false, why: '8 is never at bar[0]' },
  { doc: { a: { x: { c: 1 }, y: { c: 2 } } }, path: '$.a.*.c', candidate: 2, expected: true, why: 'member wildcard mid-path' },

  // Text-level details where MariaDB 10.11 departs from MySQL.
  {
    doc: 'é',
    docText: '"\\u00e9"',
    path: '$',
    candidate: 'é',
    expected: true,
    why: 'a \\u escape is the same string as the character',
    mariadb: { expected: false, why: 'MariaDB compares string scalars without decoding \\u escapes' },
  },
  {
    doc: 'a\nb',
    docText: '"a\\u000ab"',
    path: '$',
    candidate: 'a\nb',
    expected: true,
    why: '\\u000a and \\n are the same character',
    mariadb: { expected: false, why: 'MariaDB compares string scalars by their escaped text' },
  },
  {
    doc: { a: 2 },
    docText: '{"a":1,"a":2}',
    path: '$.a',
    candidate: 2,
    expected: true,
    why: 'duplicate keys: MySQL 8 keeps the last one, as JSON.parse does',
    mariadb: { expected: false, why: 'MariaDB keeps the first of duplicate keys' },
  },
];
