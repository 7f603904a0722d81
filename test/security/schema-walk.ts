// Walks the GraphQL schema the gateway serves (src/server.ts buildSchema: every file in schema/), so the
// security tests cover fields added later without being edited: root fields, the ID-typed arguments
// they take (top level or inside input objects), argument values synthesized from types and names, and
// a selection of everything a field returns (a few levels deep).
import {
  getNamedType,
  Kind,
  parse,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLInterfaceType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { checkLimits, DEFAULT_LIMITS } from '../../src/limits.js';
import { buildSchema } from '../../src/server.js';

export type RootKind = 'Query' | 'Mutation' | 'Subscription';

/** The schema built from schema/*.graphql, as the gateway builds it. */
export const schema: GraphQLSchema = buildSchema();

/** Every field of a root type (none when the schema has no such root). */
export function rootFields(kind: RootKind, s: GraphQLSchema = schema): Array<GraphQLField<unknown, unknown>> {
  const root = kind === 'Query' ? s.getQueryType() : kind === 'Mutation' ? s.getMutationType() : s.getSubscriptionType();
  return root ? Object.values(root.getFields()) : [];
}

/** An ID-typed place in a field's arguments, e.g. ['input', 'regionId'] or ['filter', 'cellId'] or ['id']. */
export interface IdSlot {
  path: string[];
  /** The argument or input field name (the last element of path). */
  name: string;
  required: boolean;
  list: boolean;
}

function unwrap(type: GraphQLInputType): { named: GraphQLNamedType; list: boolean } {
  let t: GraphQLInputType = type;
  let list = false;
  for (;;) {
    if (isNonNullType(t)) t = t.ofType;
    else if (isListType(t)) {
      list = true;
      t = t.ofType;
    } else return { named: t, list };
  }
}

/** Every ID-typed argument of a field, top level or inside input objects (3 levels deep at most). */
export function idSlots(field: GraphQLField<unknown, unknown>): IdSlot[] {
  const out: IdSlot[] = [];
  const walk = (name: string, type: GraphQLInputType, path: string[], required: boolean, depth: number) => {
    const { named, list } = unwrap(type);
    if (isScalarType(named) && named.name === 'ID') out.push({ path, name, required, list });
    else if (isInputObjectType(named) && depth < 3) {
      for (const f of Object.values(named.getFields())) walk(f.name, f.type, [...path, f.name], required && isNonNullType(f.type), depth + 1);
    }
  };
  for (const arg of field.args) walk(arg.name, arg.type, [arg.name], isNonNullType(arg.type), 0);
  return out;
}

/** Thrown when a required argument has a type no rule can fill: the field needs a hand-written case. */
export class Unsynthesizable extends Error {}

/** What the synthesizer puts into ID slots and name-driven strings. */
export interface SynthOptions {
  /** The id for a slot; undefined leaves an optional slot out (a required one then throws Unsynthesizable). */
  idFor(slot: IdSlot): string | undefined;
  /** A unique string for names. */
  unique(): string;
  /** A workflow name, when the schema has workflows. */
  workflowName?: string;
}

const STRINGS: Record<string, string> = {
  ipAddress: '10.77.0.9',
  gateway: '10.77.0.1',
  cidr: '10.77.0.0/24',
  netmask: '255.255.255.0',
  cron: '0 3 * * *',
  timezone: 'UTC',
  deviceType: 'server',
  interfaceType: 'ethernet',
};

/**
 * Builds argument values for a field: every required argument, plus the optional ones that lead to a
 * slot `idFor` fills. Strings follow their names (an ipAddress gets an address, a name a unique name).
 */
export function synthesizeArgs(field: GraphQLField<unknown, unknown>, opts: SynthOptions): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const arg of field.args) {
    const v = synth(arg.name, arg.type, [arg.name], isNonNullType(arg.type), opts, 0);
    if (v !== undefined) args[arg.name] = v;
  }
  return args;
}

function synth(name: string, type: GraphQLInputType, path: string[], required: boolean, opts: SynthOptions, depth: number): unknown {
  const nonNull = isNonNullType(type);
  const inner: GraphQLInputType = nonNull ? (type as { ofType: GraphQLInputType }).ofType : type;
  if (isListType(inner)) {
    const item = synth(name, inner.ofType, path, required, opts, depth);
    return item === undefined ? undefined : [item];
  }
  const named = inner as GraphQLNamedType;
  if (isScalarType(named) && named.name === 'ID') {
    const id = opts.idFor({ path, name, required, list: false });
    if (id === undefined && nonNull) throw new Unsynthesizable(`no id for required ${path.join('.')}`);
    return id;
  }
  if (isInputObjectType(named)) {
    if (depth > 3) {
      if (nonNull) throw new Unsynthesizable(`input ${path.join('.')} nests too deep`);
      return undefined;
    }
    const obj: Record<string, unknown> = {};
    for (const f of Object.values(named.getFields())) {
      const v = synth(f.name, f.type, [...path, f.name], required && isNonNullType(f.type), opts, depth + 1);
      if (v !== undefined) obj[f.name] = v;
    }
    return nonNull || Object.keys(obj).length > 0 ? obj : undefined;
  }
  if (!nonNull) return undefined;
  if (isEnumType(named)) {
    const values = named.getValues().map((v) => v.name);
    // The least privileged choice where there is one (roles).
    return values.includes('VIEWER') ? 'VIEWER' : values[0];
  }
  if (isScalarType(named)) {
    switch (named.name) {
      case 'String':
        if (name === 'workflow' && opts.workflowName) return opts.workflowName;
        return STRINGS[name] ?? `${opts.unique()}`;
      case 'Int':
        return 1;
      case 'Float':
        return 1.5;
      case 'Boolean':
        return true;
      case 'JSON':
        return name === 'values' || name === 'variables' ? { tenancy: 'synthesized' } : {};
      case 'DateTime':
        return new Date(Date.now() + 3_600_000).toISOString();
      default:
        throw new Unsynthesizable(`no rule for scalar ${named.name} (${path.join('.')})`);
    }
  }
  throw new Unsynthesizable(`no rule for ${String(named)} (${path.join('.')})`);
}

/** Sets a value at a path inside an args object (creating input objects on the way). */
export function setAtPath(args: Record<string, unknown>, path: string[], value: unknown): void {
  let obj = args;
  for (const key of path.slice(0, -1)) {
    if (obj[key] == null || typeof obj[key] !== 'object') obj[key] = {};
    obj = obj[key] as Record<string, unknown>;
  }
  obj[path.at(-1)!] = value;
}

const WRAPPER = /(Connection|Edge)$|^PageInfo$/;

/**
 * A selection of everything `type` holds: all leaves, and object fields (without required arguments)
 * down to `depth` levels of objects; inside a connection, its edges, nodes and PageInfo do not count as a
 * level. Lists with `first` ask for 10. Abstract types get an inline fragment per possible type; fields
 * whose type differs between possible types (String vs String!) are aliased `<Type>_<field>`.
 */
export function selectionOf(type: GraphQLNamedType, depth: number, s: GraphQLSchema = schema): string {
  if (isLeafType(type)) return '';
  if (isObjectType(type)) return `{ __typename ${fieldsOf(type, depth, s).join(' ')} }`;
  if (isInterfaceType(type) || isUnionType(type)) {
    const possibleTypes = s.getPossibleTypes(type);
    const seen = new Map<string, Set<string>>();
    for (const t of possibleTypes) {
      for (const f of Object.values(t.getFields())) seen.set(f.name, (seen.get(f.name) ?? new Set()).add(String(f.type)));
    }
    const clashing = new Set([...seen].filter(([, types]) => types.size > 1).map(([name]) => name));
    const own = isInterfaceType(type) ? fieldsOf(type, depth, s, new Set(), clashing) : [];
    const possible = possibleTypes.map((t) => `... on ${t.name} { ${fieldsOf(t, depth, s, clashing).join(' ')} }`);
    return `{ __typename ${own.join(' ')} ${possible.join(' ')} }`;
  }
  return '';
}

function fieldsOf(
  type: GraphQLObjectType | GraphQLInterfaceType,
  depth: number,
  s: GraphQLSchema,
  aliased: Set<string> = new Set(),
  skipped: Set<string> = new Set(),
): string[] {
  const out: string[] = [];
  const free = WRAPPER.test(type.name);
  for (const f of Object.values(type.getFields())) {
    if (skipped.has(f.name)) continue;
    if (f.args.some((a: GraphQLArgument) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const named = getNamedType(f.type);
    const alias = aliased.has(f.name) ? `${type.name}_${f.name}: ` : '';
    if (isLeafType(named)) {
      out.push(`${alias}${f.name}`);
      continue;
    }
    if (!free && depth <= 0) continue;
    const args = f.args.some((a) => a.name === 'first') ? '(first: 10)' : '';
    out.push(`${alias}${f.name}${args} ${selectionOf(named, free ? depth : depth - 1, s)}`);
  }
  return out;
}

/** True when the gateway's default limits (depth, aliases, cost) admit the document. */
export function withinDefaultLimits(query: string, variables: Record<string, unknown> = {}): boolean {
  try {
    checkLimits(schema, parse(query), variables, undefined, DEFAULT_LIMITS);
    return true;
  } catch {
    return false;
  }
}

/** The depth of a document's deepest field, counted as the gateway counts it (fragments add nothing). */
export function queryDepth(query: string): number {
  const doc = parse(query);
  const walk = (set: SelectionSetNode | undefined): number => {
    if (!set) return 0;
    let max = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) max = Math.max(max, 1 + walk(sel.selectionSet));
      else if (sel.kind === Kind.INLINE_FRAGMENT) max = Math.max(max, walk(sel.selectionSet));
    }
    return max;
  };
  return Math.max(...doc.definitions.map((d) => (d.kind === Kind.OPERATION_DEFINITION ? walk(d.selectionSet) : 0)));
}

/**
 * A GraphQL document calling one root field with the given argument values (passed as variables) and
 * selecting everything it returns, `depth` object levels deep.
 */
export function documentFor(kind: RootKind, field: GraphQLField<unknown, unknown>, args: Record<string, unknown>, depth = 2): { query: string; variables: Record<string, unknown> } {
  const defs: string[] = [];
  const uses: string[] = [];
  const variables: Record<string, unknown> = {};
  for (const arg of field.args) {
    if (!(arg.name in args)) continue;
    defs.push(`$${arg.name}: ${String(arg.type)}`);
    uses.push(`${arg.name}: $${arg.name}`);
    variables[arg.name] = args[arg.name];
  }
  const op = kind === 'Query' ? 'query' : kind === 'Mutation' ? 'mutation' : 'subscription';
  // The deepest selection the default depth limit (15) admits, down from `depth` object levels.
  for (let d = depth; ; d--) {
    const selection = selectionOf(getNamedType(field.type), d);
    const query = `${op}${defs.length ? `(${defs.join(', ')})` : ''} { ${field.name}${uses.length ? `(${uses.join(', ')})` : ''} ${selection} }`;
    if (d <= 0 || withinDefaultLimits(query, variables)) return { query, variables };
  }
}
