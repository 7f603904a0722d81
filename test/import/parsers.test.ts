// The streaming parsers: record boundaries across arbitrary chunk splits, line numbers of bad rows, CSV cell
// semantics, and that reading the 1,000th row of a 100,000-row file has read only a small part of it.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeCsvRow } from '../../src/import/csv.js';
import { openSource, type ImportFormat } from '../../src/import/formats.js';
import type { SourceRow } from '../../src/import/types.js';
import { autoType } from '../../src/import/values.js';
import { textStream } from './store.js';

async function all(text: string, format: ImportFormat, piece = 5): Promise<SourceRow[]> {
  const out: SourceRow[] = [];
  for await (const row of openSource(textStream(text, piece), format).rows) out.push(row);
  return out;
}

describe('JSON', () => {
  it('splits a top-level array into elements, whatever the chunk boundaries, with their lines', async () => {
    const text = '[\n  {"kind": "cloud", "name": "a,]}"},\n  {"kind": "region", "cloud": "a", "name": "r", "vars": {"x": [1, {"y": "\\"]"}]}}\n]\n';
    for (const piece of [1, 3, 1000]) {
      const rows = await all(text, 'json', piece);
      expect(rows).toEqual([
        { line: 2, record: { kind: 'cloud', name: 'a,]}' } },
        { line: 3, record: { kind: 'region', cloud: 'a', name: 'r', vars: { x: [1, { y: '"]' }] } } },
      ]);
    }
  });

  it('reads JSON Lines and reports bad lines without stopping', async () => {
    const rows = await all('{"kind":"cloud","name":"a"}\n{"kind": oops}\n42\n{"kind":"cloud","name":"b"}\n', 'json');
    expect(rows.map((r) => [r.line, r.error ? 'error' : (r.record as { name: string }).name])).toEqual([[1, 'a'], [2, 'error'], [3, 'error'], [4, 'b']]);
    expect(rows[1]!.error).toMatch(/^invalid JSON/);
  });

  it('reports an unterminated element', async () => {
    const rows = await all('[{"kind":"cloud","name":"a"}, {"kind": "cl', 'json');
    expect(rows[1]).toMatchObject({ line: 1, error: expect.stringMatching(/ends inside this element/) });
  });
});

describe('YAML', () => {
  it('cuts a top-level list at each item (with its line) and parses each alone', async () => {
    const text = '# fleet\n- kind: cloud\n  name: a\n  note: |\n    - not an item\n- {kind: region, cloud: a, name: r}\n-\n  kind: cell\n  cloud: a\n  region: r\n  name: c\n';
    const rows = await all(text, 'yaml');
    expect(rows).toEqual([
      { line: 2, record: { kind: 'cloud', name: 'a', note: '- not an item\n' } },
      { line: 6, record: { kind: 'region', cloud: 'a', name: 'r' } },
      { line: 7, record: { kind: 'cell', cloud: 'a', region: 'r', name: 'c' } },
    ]);
  });

  it('reads one record per --- document, and a bad item as a rejected row', async () => {
    const rows = await all('---\nkind: cloud\nname: a\n---\nkind: region\ncloud: a\nname: [unclosed\n---\n- kind: cloud\n  name: b\n', 'yaml');
    expect(rows.map((r) => [r.line, r.error ? 'error' : (r.record as { name: string }).name])).toEqual([[2, 'a'], [5, 'error'], [9, 'b']]);
  });
});

describe('CSV', () => {
  it('applies the empty-cell rules: present columns clear nullable fields, device-only columns are ignored for containers', () => {
    const header = { kind: '', cloud: '', region: '', cell: '', name: '', parent: '', ip_address: '', device_type: '', active: '', note: '', labels: '', vars: '', 'var.rack': '' };
    expect(decodeCsvRow(2, { ...header, kind: 'region', cloud: 'c', name: 'r' })).toEqual({ line: 2, record: { kind: 'region', cloud: 'c', name: 'r', note: null } });
    expect(decodeCsvRow(3, { ...header, kind: 'host', cloud: 'c', region: 'r', name: 'h', labels: 'a; b', 'var.rack': '12', vars: '{"os":"x"}' })).toEqual({
      line: 3, record: { kind: 'host', cloud: 'c', region: 'r', cell: null, name: 'h', parent: null, ip_address: null, note: null, labels: ['a', 'b'], vars: { os: 'x', rack: 12 } },
    });
    expect(decodeCsvRow(4, { ...header, kind: 'host', name: 'h', labels: '["x;y"]', active: 'no' }).record).toMatchObject({ labels: ['x;y'], active: false });
    expect(decodeCsvRow(5, { ...header, kind: 'host', name: 'h', vars: '{oops' })).toMatchObject({ line: 5, error: expect.stringMatching(/^vars: not valid JSON/) });
  });

  it('refuses an unknown column before reading any row', async () => {
    await expect(all('kind,name,colour\ncloud,a,red\n', 'csv')).rejects.toThrow("CSV header: unknown column 'colour'");
  });

  it('keeps quoted commas and newlines and reports a malformed row with its line', async () => {
    const rows = await all('kind,name,note\ncloud,a,"one, two\nthree"\ncloud,b,x,extra\ncloud,c,\n', 'csv');
    expect(rows.map((r) => [r.line, r.error ? 'error' : (r.record as { name: string }).name])).toEqual([[3, 'a'], [4, 'error'], [5, 'c']]);
    expect(rows[0]!.record).toMatchObject({ note: 'one, two\nthree' });
  });
});

describe('auto-typing (vars set key=value, CSV var.<key>)', () => {
  it('types numbers, booleans and null, keeps quoted text a string, parses JSON', () => {
    expect(['12', '-3', '1.5', '1e3', 'true', 'False', 'null', 'none', '"12"', 'web', '{"a":1}', '[1,2]', '"unterminated', ''].map(autoType))
      .toEqual([12, -3, 1.5, 1000, true, false, null, null, '12', 'web', { a: 1 }, [1, 2], '"unterminated', '']);
  });
});

describe('streaming', () => {
  const N = 100_000;
  const rowText: Record<ImportFormat, (i: number) => string> = {
    csv: (i) => `${i === 0 ? 'kind,cloud,region,name,vars\n' : ''}host,c,r,h${i},"{""i"":${i},""pad"":""${'x'.repeat(80)}""}"\n`,
    json: (i) => `${i === 0 ? '[\n' : ',\n'}{"kind":"host","cloud":"c","region":"r","name":"h${i}","vars":{"i":${i},"pad":"${'x'.repeat(80)}"}}${i === N - 1 ? '\n]\n' : ''}`,
    yaml: (i) => `- kind: host\n  cloud: c\n  region: r\n  name: h${i}\n  vars: {i: ${i}, pad: ${'x'.repeat(80)}}\n`,
  };
  for (const format of ['csv', 'json', 'yaml'] as ImportFormat[]) {
    it(`${format}: the 1,000th of ${N.toLocaleString('en')} rows arrives after reading a small part of the file`, async () => {
      let produced = 0;
      let i = 0;
      const total = Array.from({ length: 10 }, (_, k) => rowText[format](k)).join('').length * (N / 10);
      const source = new Readable({
        read() {
          let text = '';
          for (let k = 0; k < 100 && i < N; k++) text += rowText[format](i++);
          produced += text.length;
          this.push(i >= N && !text ? null : text);
        },
      });
      let seen = 0;
      for await (const row of openSource(source, format).rows) {
        expect(row.error).toBeUndefined();
        seen += 1;
        if (seen === 1000) break;
      }
      expect(produced).toBeLessThan(total * 0.05);
    });
  }
});
