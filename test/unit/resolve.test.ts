import { describe, expect, it } from 'vitest';
import { resolution, resolveOnto, resolveValues, resolveVariables, type VariableLevel } from '../../src/inventory/resolve.js';

type Holder = { kind: string; name: string };

/** The worked example of reference §2.2 (`tests/unit/db/test_devices.py`). */
const project: VariableLevel<Holder> = { holder: { kind: 'project', name: 'project_1' }, variables: { foo: 'P1', zoo: 'P2', boo: 'P3' } };
const cloud: VariableLevel<Holder> = { holder: { kind: 'cloud', name: 'cloud_1' }, variables: { zoo: 'CL1' } };
const region: VariableLevel<Holder> = { holder: { kind: 'region', name: 'region_1' }, variables: { foo: 'R1', bar: 'R2', bax: 'R3' } };
const cell: VariableLevel<Holder> = { holder: { kind: 'cell', name: 'cell_1' }, variables: { bar: 'C2' } };
const host1: VariableLevel<Holder> = { holder: { kind: 'host', name: 'host1' }, variables: { foo: 'H1', baz: 'H3' } };
const host2: VariableLevel<Holder> = { holder: { kind: 'host', name: 'host2' }, variables: {} };

describe('resolveVariables', () => {
  it('resolves a host in a cell as the reference example does', () => {
    const { values } = resolveVariables([host1, cell, region, cloud, project]);
    expect(values).toEqual({ foo: 'H1', bar: 'C2', baz: 'H3', bax: 'R3', zoo: 'CL1', boo: 'P3' });
  });

  it('takes bar from the region when the host has no cell', () => {
    const { values } = resolveVariables([host1, region, cloud, project]);
    expect(values).toEqual({ foo: 'H1', bar: 'R2', baz: 'H3', bax: 'R3', zoo: 'CL1', boo: 'P3' });
  });

  it('lets a child host without variables inherit from its parent before the cell', () => {
    const { values, origins } = resolveVariables([host2, host1, cell, region, cloud, project]);
    expect(values).toEqual({ foo: 'H1', bar: 'C2', baz: 'H3', bax: 'R3', zoo: 'CL1', boo: 'P3' });
    expect(origins.find((o) => o.key === 'foo')?.holder.name).toBe('host1');
    expect(origins.find((o) => o.key === 'baz')?.holder.name).toBe('host1');
  });

  it('reports which level supplied each key, sorted by key (Craton blame)', () => {
    const { origins } = resolveVariables([host1, cell, region, cloud, project]);
    expect(origins.map((o) => [o.key, o.value, o.holder.name])).toEqual([
      ['bar', 'C2', 'cell_1'],
      ['bax', 'R3', 'region_1'],
      ['baz', 'H3', 'host1'],
      ['boo', 'P3', 'project_1'],
      ['foo', 'H1', 'host1'],
      ['zoo', 'CL1', 'cloud_1'],
    ]);
  });

  it('returns values in ascending key order', () => {
    const { values } = resolveVariables([host1, cell, region, cloud, project]);
    expect(Object.keys(values)).toEqual(['bar', 'bax', 'baz', 'boo', 'foo', 'zoo']);
  });

  it('limits the output to the requested keys and leaves out keys nobody defines', () => {
    const { values, origins } = resolveVariables([host1, cell, region, cloud, project], ['bar', 'zoo', 'missing']);
    expect(values).toEqual({ bar: 'C2', zoo: 'CL1' });
    expect(origins.map((o) => o.key)).toEqual(['bar', 'zoo']);
  });

  it('returns nothing for an empty key list', () => {
    expect(resolveVariables([host1, project], [])).toEqual({ values: {}, origins: [] });
  });

  it('returns nothing when there are no levels', () => {
    expect(resolveVariables([])).toEqual({ values: {}, origins: [] });
  });

  it('does not deep-merge: a nearer object hides the farther one entirely', () => {
    const near: VariableLevel<string> = { holder: 'host', variables: { hw: { cpu: 8 } } };
    const far: VariableLevel<string> = { holder: 'region', variables: { hw: { cpu: 4, ram: 64 }, dc: 'x' } };
    const { values, origins } = resolveVariables([near, far]);
    expect(values).toEqual({ dc: 'x', hw: { cpu: 8 } });
    expect(origins.find((o) => o.key === 'hw')?.holder).toBe('host');
  });

  it('does not merge arrays either', () => {
    const { values } = resolveVariables([
      { holder: 1, variables: { tags: ['a'] } },
      { holder: 2, variables: { tags: ['b', 'c'] } },
    ]);
    expect(values).toEqual({ tags: ['a'] });
  });

  it('treats a nearer null as a value that hides farther levels', () => {
    const { values, origins } = resolveVariables([
      { holder: 'host', variables: { foo: null } },
      { holder: 'project', variables: { foo: 'P1' } },
    ]);
    expect(values).toEqual({ foo: null });
    expect(origins).toEqual([{ key: 'foo', value: null, holder: 'host' }]);
  });

  it('keeps a key named __proto__ as an ordinary value', () => {
    const variables = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const { values } = resolveVariables([{ holder: 'x', variables }]);
    expect(Object.keys(values)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
    expect((values as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

/** A deterministic generator (mulberry32), so a failing case can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('resolveValues and resolveOnto (the values-only path of a page of hosts)', () => {
  // Keys that sort differently by code unit and by code point, a prototype name, and plain ones.
  const KEYS = ['a', 'b', 'B', 'zz', 'a.b', '__proto__', 'constructor', '\uffff', '\ud83d\ude00', 'é', 'e', ''];
  const randomLevels = (next: () => number, n: number) =>
    Array.from({ length: n }, (_, level) => {
      const variables: Record<string, unknown> = {};
      for (const key of KEYS) {
        if (next() < 0.4) Object.defineProperty(variables, key, { value: `${key}@${level}`, enumerable: true, writable: true, configurable: true });
      }
      return variables;
    });

  it('gives what resolveVariables gives, in the same key order, for random chains', () => {
    const next = prng(7);
    for (let round = 0; round < 500; round++) {
      const levels = randomLevels(next, 1 + Math.floor(next() * 6));
      const keys = next() < 0.3 ? KEYS.filter(() => next() < 0.5) : undefined;
      const expected = resolveVariables(levels.map((variables, i) => ({ holder: i, variables })), keys).values;
      const values = resolveValues(levels, keys);
      expect(Object.keys(values), `round ${round}`).toEqual(Object.keys(expected));
      expect(values).toEqual(expected);
      // Split anywhere: the near levels resolved in front of the farther ones' resolution.
      const at = Math.floor(next() * (levels.length + 1));
      const onto = resolveOnto(levels.slice(0, at), resolution(levels.slice(at)), keys);
      expect(Object.keys(onto), `round ${round}, split at ${at}`).toEqual(Object.keys(expected));
      expect(onto).toEqual(expected);
      expect(Object.getPrototypeOf(onto)).toBe(Object.prototype);
    }
  });

  it('reuses one farther resolution for many holders without changing it', () => {
    const far = resolution([{ a: 1, c: 3 }, { a: 0, d: 4 }]);
    expect(resolveOnto([{ b: 2 }], far)).toEqual({ a: 1, b: 2, c: 3, d: 4 });
    expect(resolveOnto([{ a: 'near' }], far)).toEqual({ a: 'near', c: 3, d: 4 });
    expect(resolveOnto([], far, ['d'])).toEqual({ d: 4 });
    expect(far.keys).toEqual(['a', 'c', 'd']);
  });
});
