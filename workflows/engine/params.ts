import { InputError } from '../../src/errors.js';
import type { ParameterSpec, WorkflowDefinition } from '../types.js';

/**
 * Validates run parameters against a definition's ParameterSpecs and fills in defaults. Unknown names,
 * missing required ones, wrong types and values outside `enum` are BAD_USER_INPUT naming the parameter
 * (`params.<name>`) and what was received. Returns a new object; the input is not changed.
 */
export function validateParams(def: WorkflowDefinition, raw: unknown, argument = 'params'): Record<string, unknown> {
  if (raw != null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new InputError(`${argument} must be a JSON object of the parameters of '${def.name}', got ${describe(raw)}`, { argument });
  }
  const given = (raw ?? {}) as Record<string, unknown>;
  const known = Object.keys(def.parameters);
  for (const name of Object.keys(given)) {
    if (!(name in def.parameters)) {
      throw new InputError(
        `${argument}.${name}: '${def.name}' has no parameter '${name}' (it has: ${known.length ? known.join(', ') : 'none'})`,
        { argument: `${argument}.${name}` },
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(def.parameters)) {
    const value = given[name] === undefined || given[name] === null ? spec.default : given[name];
    if (value === undefined) {
      if (spec.required) throw new InputError(`${argument}.${name} is required: ${spec.description}`, { argument: `${argument}.${name}` });
      continue;
    }
    checkValue(`${argument}.${name}`, spec, value);
    out[name] = value;
  }
  return out;
}

/** Throws BAD_USER_INPUT unless `value` has the spec's type and, when given, is one of its `enum`. */
function checkValue(path: string, spec: ParameterSpec, value: unknown): void {
  const ok: Record<ParameterSpec['type'], (v: unknown) => boolean> = {
    string: (v) => typeof v === 'string',
    number: (v) => typeof v === 'number' && Number.isFinite(v),
    integer: (v) => Number.isInteger(v),
    boolean: (v) => typeof v === 'boolean',
    object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    array: (v) => Array.isArray(v),
  };
  if (!ok[spec.type](value)) throw new InputError(`${path} must be ${article(spec.type)} ${spec.type}, got ${describe(value)}`, { argument: path });
  if (spec.enum && !spec.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    throw new InputError(`${path} must be one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${describe(value)}`, { argument: path });
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? 'an' : 'a';
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** Checks that a ParameterSpec is well formed (used when a definition registers). */
export function checkParameterSpec(workflow: string, name: string, spec: ParameterSpec): void {
  const types = ['string', 'number', 'integer', 'boolean', 'object', 'array'];
  if (!types.includes(spec.type)) throw new TypeError(`workflow '${workflow}': parameter '${name}' has unknown type ${JSON.stringify(spec.type)} (one of ${types.join(', ')})`);
  if (typeof spec.description !== 'string' || !spec.description) throw new TypeError(`workflow '${workflow}': parameter '${name}' needs a description`);
  if (spec.default !== undefined) {
    try {
      checkValue(`default of parameter '${name}'`, spec, spec.default);
    } catch (err) {
      throw new TypeError(`workflow '${workflow}': ${(err as Error).message}`);
    }
  }
}
