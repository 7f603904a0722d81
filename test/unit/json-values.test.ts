// Stored variable values are parsed once per distinct JSON text and shared, deeply frozen (src/store/json-values.ts).
import { describe, expect, it } from 'vitest';
import { parseStoredJson } from '../../src/store/json-values.js';

describe('parseStoredJson', () => {
  it('parses every kind of value as JSON.parse does', () => {
    for (const text of ['1', '-0.5', '"a\\u00e9"', 'true', 'null', '[]', '{}', '{"a":[1,{"b":null}],"c":"d"}', '[[1],[2,[3]]]']) {
      expect(parseStoredJson(text)).toEqual(JSON.parse(text));
    }
  });

  it('shares one deeply frozen value per distinct object or array text', () => {
    const text = `{"disks":[{"vendor":"Seagate","size":${Date.now()}}],"cpu":{"cores":8}}`;
    const a = parseStoredJson(text) as { disks: Array<{ vendor: string }>; cpu: { cores: number } };
    const b = parseStoredJson(`${text}`);
    expect(b).toBe(a);
    expect(Object.isFrozen(a) && Object.isFrozen(a.disks) && Object.isFrozen(a.disks[0]) && Object.isFrozen(a.cpu)).toBe(true);
    expect(() => {
      'use strict';
      a.disks[0]!.vendor = 'WD';
    }).toThrow(TypeError);
    expect(a.disks[0]!.vendor).toBe('Seagate');
  });

  it('parses large texts afresh every time (never kept)', () => {
    const text = JSON.stringify({ blob: 'x'.repeat(10_000) });
    const a = parseStoredJson(text);
    expect(parseStoredJson(text)).not.toBe(a);
    expect(Object.isFrozen(a)).toBe(false);
  });
});
