import { describe, expect, it } from 'vitest';
import { resolveVariables, type VariableLevel } from '../../src/inventory/resolve.js';

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
