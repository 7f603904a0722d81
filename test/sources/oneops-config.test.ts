// The OneOps adapter's pieces that need no server: its configuration (messages naming the field,
// defaults) and the streaming parser of the CMS's unpaged lists.
import { describe, expect, it } from 'vitest';
import { OneOpsSource, parseOneOpsConfig } from '../../sources/oneops/index.js';
import { parseJsonArray } from '../../sources/oneops/json-stream.js';
import { testDeps } from './helpers.js';

describe('oneops configuration', () => {
  it('names the missing field with its place in the sources file', () => {
    expect(() => parseOneOpsConfig({ name: 'x', kind: 'oneops', connection: { nsPath: '/a' } }, 'sources[1]')).toThrow('sources[1].connection.url: required');
  });

  it('reports every bad field at once, unknown fields included', () => {
    const bad = { name: 'bad name', kind: 'oneops', connection: { url: 'ftp://x', nsPath: 'acme', clases: [] }, placement: { region: { fromNsPathSegment: 'three' } } };
    let message = '';
    try {
      parseOneOpsConfig(bad, 'sources[1]');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n').sort()).toEqual([
      'sources[1].connection.clases: unknown field',
      'sources[1].connection.nsPath: must be an nsPath starting with /, e.g. /acme/shop/prod/bom',
      'sources[1].connection.url: must be an http(s) URL such as http://cms:8080/adapter/rest',
      'sources[1].name: must be letters, digits, _ . - (it is part of every host id)',
      "sources[1].placement.region.fromNsPathSegment: expected number, got 'three'",
    ]);
  });

  it('says what a placement level may be when it is none of them', () => {
    expect(() => parseOneOpsConfig({ name: 'o', kind: 'oneops', connection: { url: 'http://cms/adapter/rest', nsPath: '/a' }, placement: { cell: 5 } }, 's[0]')).toThrow(
      's[0].placement.cell: expected a name, { fromNsPathSegment: N } or { fromAttribute: NAME }',
    );
  });

  it('applies the documented defaults', () => {
    const c = parseOneOpsConfig({ name: 'o', kind: 'oneops', connection: { url: 'http://cms:8080/adapter/rest/', nsPath: '/acme' } }, 's');
    expect(c.connection).toMatchObject({ url: 'http://cms:8080/adapter/rest', recursive: true, classes: ['bom.Compute'], snapshotTtlMs: 10_000 });
    expect(c.mapping).toEqual({ ipAttributes: ['public_ip', 'private_ip'], deviceType: 'server', labelsFromAltNs: true, inactiveStates: ['pending_deletion'] });
  });

  it('stops start-up when a credentials variable is not set', () => {
    const credentials = { usernameEnv: 'OO_USER', passwordEnv: 'OO_PASSWORD' };
    const config = { name: 'o', kind: 'oneops', connection: { url: 'http://cms:8080/adapter/rest', nsPath: '/acme' }, credentials };
    expect(() => OneOpsSource.fromConfig(config, testDeps({ env: { OO_USER: 'craton' } }), 'sources[0]')).toThrow('sources[0].credentials.passwordEnv: environment variable OO_PASSWORD is not set');
  });
});

describe('parseJsonArray', () => {
  const bytes = (text: string, size: number) =>
    (async function* () {
      const all = new TextEncoder().encode(text);
      for (let i = 0; i < all.length; i += size) yield all.slice(i, i + size);
    })();
  const collect = async (it: AsyncIterable<unknown>) => {
    const out: unknown[] = [];
    for await (const v of it) out.push(v);
    return out;
  };

  it('yields each element whatever the chunk boundaries, strings with brackets and escapes included', async () => {
    const items = [{ a: 'x]}', b: ['[', { c: '\\"' }] }, { é: 'ü 😀' }, [], { n: null }];
    for (const size of [1, 2, 3, 7, 1024]) expect(await collect(parseJsonArray(bytes(` ${JSON.stringify(items)}\n`, size)))).toEqual(items);
  });

  it('rejects what is not a whole array', async () => {
    await expect(collect(parseJsonArray(bytes('{"code":500}', 4)))).rejects.toThrow('expected a JSON array');
    await expect(collect(parseJsonArray(bytes('[{"a":1},{"b"', 4)))).rejects.toThrow('ends early');
    await expect(collect(parseJsonArray(bytes('[1,2]', 4)))).rejects.toThrow('expected an object');
  });
});
