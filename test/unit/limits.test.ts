// The gateway checks depth, aliases and cost once per operation and remembers the outcome per parsed
// document and variables (src/limits.ts limitChecker): the remembered outcome must be the one a fresh
// check gives, for every combination of variables, and refusals must be raised every time.
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CratonError } from '../../src/errors.js';
import { checkLimits, DEFAULT_LIMITS, limitChecker } from '../../src/limits.js';
import { buildSchema } from '../../src/server.js';

const schema = buildSchema();
const limits = { ...DEFAULT_LIMITS, maxCost: 5_000 };
const PAGE = parse('query Page($first: Int) { hosts(first: $first) { edges { node { name labels } } } }');

const outcome = (fn: () => void): string => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof CratonError ? `${err.code}: ${err.message}` : `unexpected: ${String(err)}`;
  }
};

describe('limitChecker', () => {
  it('gives what checkLimits gives for the same document with different variables, in any order', () => {
    const check = limitChecker(schema, limits);
    for (const first of [10, 100_000, 10, 2_000, 100_000, 1, 2_000]) {
      const fresh = outcome(() => checkLimits(schema, PAGE, { first }, undefined, limits));
      expect(outcome(() => check(PAGE, { first }, undefined)), `first: ${first}`).toBe(fresh);
    }
    expect(outcome(() => check(PAGE, { first: 100_000 }, undefined))).toMatch(/^BAD_USER_INPUT: query cost \d+ exceeds the limit of 5000/);
  });

  it('raises a new error for each refused request (no shared, mutated error object)', () => {
    const check = limitChecker(schema, limits);
    const errors = [1, 2].map(() => {
      try {
        check(PAGE, { first: 100_000 }, undefined);
      } catch (err) {
        return err;
      }
      return null;
    });
    expect(errors[0]).toBeInstanceOf(CratonError);
    expect(errors[1]).toBeInstanceOf(CratonError);
    expect(errors[0]).not.toBe(errors[1]);
  });

  it('checks variables it cannot make a key of (too deep to serialise) without failing', () => {
    const check = limitChecker(schema, limits);
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 50_000; i++) deep = { a: deep };
    expect(outcome(() => check(PAGE, { first: 10, deep }, undefined))).toBe('ok');
  });
});
