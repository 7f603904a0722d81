// The fake OneOps CMS's data and query semantics, as oneops/oneops implements them (see
// ../shared/data/oneops-cms-api.md §2): CIs unique by (nsPath, class, ciName), attribute rows with a
// committed (df) and a pending (dj) value, alternate namespaces by tag, directed relations, and the
// serialisation of all of it into the `CmsCISimple` / `CmsCIRelationSimple` JSON Jackson writes
// (epoch-ms dates, every field present, null when unset).

/** An attribute row: committed value, pending value (defaults to the committed one), owner. */
export interface FakeAttribute {
  df: string;
  dj?: string;
  owner?: string;
}

/** A CI as a test seeds it; ids, goid and nsId are derived. Attribute values are strings, as in OneOps. */
export interface FakeCi {
  ciId: number;
  ciName: string;
  ciClassName: string;
  nsPath: string;
  ciState?: string;
  impl?: string | null;
  comments?: string | null;
  createdBy?: string | null;
  updatedBy?: string | null;
  /** Epoch milliseconds. */
  created: number;
  updated: number;
  lastAppliedRfcId?: number;
  attributes: Record<string, string | FakeAttribute>;
  /** Alternate namespaces by tag. */
  altNs?: Record<string, string[]>;
}

export interface FakeRelation {
  ciRelationId: number;
  relationName: string;
  nsPath: string;
  fromCiId: number;
  toCiId: number;
  relationState?: string;
  created: number;
  updated: number;
  attributes?: Record<string, string>;
}

/** A CmsException / DJException / CmsSecurityException: the HTTP status and OneOps errorCode it maps to. */
export class CmsError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const ENC_PREFIX = '::ENCRYPTED::';
export const ENC_DUMMY = '--ENCRYPTED--';

/** Options of `custCI2CISimple`: which value, encrypted shown or not, attrProps, which altNs tags. */
export interface RenderOptions {
  value?: string | null;
  getEncrypted?: boolean;
  attrProps?: string | null;
  includeAltNs?: string | null;
}

/** `ciClassName` with a dot matches the full name, without one the short name (CmsCmProcessor.parseClassName). */
export function classMatches(query: string, className: string): boolean {
  return query.includes('.') ? query === className : className.slice(className.lastIndexOf('.') + 1) === query;
}

/** `ns_path = nsPath OR ns_path LIKE likefy(nsPath)`: the namespace and everything below it. */
export function nsLike(nsPath: string, query: string): boolean {
  return nsPath === query || nsPath.startsWith(query.endsWith('/') ? query : `${query}/`);
}

/** SQL LIKE on a df value: `%` any run, `_` one character. */
function sqlLike(value: string, pattern: string): boolean {
  const re = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${re}$`, 's').test(value);
}

/** One `attr=name:op:value` condition (CmsUtil.parseConditions splits on ':'), against the df value. */
export function attrCondition(raw: string): (ci: FakeCi) => boolean {
  const [name = '', op = '', value = ''] = raw.split(':');
  return (ci) => {
    const attr = ci.attributes[name];
    if (attr === undefined) return false;
    const df = typeof attr === 'string' ? attr : attr.df;
    switch (op) {
      case 'eq':
        return df === value;
      case 'neq':
        return df !== value;
      case 'like':
        return sqlLike(df, value);
      case '>':
        return df > value;
      case '<':
        return df < value;
      default:
        // Pasted into SQL by the real server: an unknown operator is an SQL error, a 500.
        throw new Error(`PreparedStatementCallback; bad SQL grammar: unknown operator '${op}'`);
    }
  };
}

export class FakeCmsStore {
  readonly cis = new Map<number, FakeCi>();
  readonly relations = new Map<number, FakeRelation>();
  private readonly nsIds = new Map<string, number>();
  private readonly classIds = new Map<string, number>();
  private nextId = 1_000_000;

  constructor(seed: { cis?: FakeCi[]; relations?: FakeRelation[] } = {}) {
    for (const ci of seed.cis ?? []) this.putCi(ci);
    for (const rel of seed.relations ?? []) this.relations.set(rel.ciRelationId, rel);
  }

  /** Adds or replaces a CI; throws 400/1008 when another CI has the same (nsPath, class, ciName). */
  putCi(ci: FakeCi): FakeCi {
    for (const other of this.cis.values()) {
      if (other.ciId !== ci.ciId && other.nsPath === ci.nsPath && other.ciClassName === ci.ciClassName && other.ciName === ci.ciName) {
        throw new CmsError(400, 1008, `duplicate key value violates unique constraint "cm_ci_ns_id_class_id_ci_name_key"`);
      }
    }
    this.cis.set(ci.ciId, ci);
    return ci;
  }

  newId(): number {
    return this.nextId++;
  }

  nsIdOf(nsPath: string): number {
    if (!this.nsIds.has(nsPath)) this.nsIds.set(nsPath, 900_000 + this.nsIds.size);
    return this.nsIds.get(nsPath)!;
  }

  private classIdOf(className: string): number {
    if (!this.classIds.has(className)) this.classIds.set(className, 4100 + this.classIds.size);
    return this.classIds.get(className)!;
  }

  /** Every distinct nsPath holding a CI, with its ancestors: what `ns_namespaces` would hold. */
  namespaces(): string[] {
    const out = new Set<string>();
    for (const ci of this.cis.values()) {
      const parts = ci.nsPath.split('/');
      for (let i = 2; i <= parts.length; i++) out.add(parts.slice(0, i).join('/'));
    }
    return [...out].sort();
  }

  /** `CmsCISimple` as Jackson writes it: every field, null when unset, dates as epoch-ms numbers. */
  renderCi(ci: FakeCi, opts: RenderOptions = {}): Record<string, unknown> {
    const dj = (opts.value ?? 'df').toLowerCase() === 'dj';
    const ciAttributes: Record<string, string> = {};
    const owners: Record<string, string | null> = {};
    for (const [name, raw] of Object.entries(ci.attributes)) {
      const attr = typeof raw === 'string' ? { df: raw } : raw;
      const value = dj ? (attr.dj ?? attr.df) : attr.df;
      ciAttributes[name] = !opts.getEncrypted && value.startsWith(ENC_PREFIX) ? ENC_DUMMY : value;
      owners[name] = attr.owner ?? null;
    }
    const attrProps: Record<string, unknown> = {};
    if (opts.attrProps?.split(',').some((p) => p.toLowerCase() === 'owner')) attrProps.owner = owners;
    const altNs: Record<string, string[]> = {};
    const want = opts.includeAltNs;
    if (want) {
      for (const [tag, paths] of Object.entries(ci.altNs ?? {})) {
        if (want === '*' || want.toLowerCase() === tag.toLowerCase()) altNs[tag] = [...paths];
      }
    }
    const nsId = this.nsIdOf(ci.nsPath);
    return {
      ciId: ci.ciId,
      ciName: ci.ciName,
      ciClassName: ci.ciClassName,
      impl: ci.impl ?? null,
      nsPath: ci.nsPath,
      ciGoid: `${nsId}-${this.classIdOf(ci.ciClassName)}-${ci.ciId}`,
      comments: ci.comments ?? null,
      ciState: ci.ciState ?? 'default',
      lastAppliedRfcId: ci.lastAppliedRfcId ?? 0,
      createdBy: ci.createdBy ?? null,
      updatedBy: ci.updatedBy ?? null,
      created: ci.created,
      updated: ci.updated,
      nsId,
      ciAttributes,
      attrProps,
      altNs,
    };
  }

  /**
   * `CmsCIRelationSimple`; createdBy/updatedBy are always null because custCIRelation2CIRelationSimple does
   * not copy them. fromCi/toCi embedded only when asked (null otherwise, still present).
   */
  renderRelation(rel: FakeRelation, embed: { fromCi?: boolean; toCi?: boolean }, opts: RenderOptions = {}): Record<string, unknown> {
    const from = embed.fromCi ? this.cis.get(rel.fromCiId) : undefined;
    const to = embed.toCi ? this.cis.get(rel.toCiId) : undefined;
    return {
      ciRelationId: rel.ciRelationId,
      nsPath: rel.nsPath,
      fromCiId: rel.fromCiId,
      toCiId: rel.toCiId,
      relationGoid: `${rel.fromCiId}-${this.nsIdOf(rel.nsPath)}-${rel.toCiId}`,
      relationState: rel.relationState ?? 'default',
      relationName: rel.relationName,
      lastAppliedRfcId: 0,
      comments: null,
      createdBy: null,
      updatedBy: null,
      created: rel.created,
      updated: rel.updated,
      relationAttributes: { ...(rel.attributes ?? {}) },
      relationAttrProps: {},
      fromCi: from ? this.renderCi(from, opts) : null,
      toCi: to ? this.renderCi(to, opts) : null,
    };
  }
}

/** A seeded CI with defaults for the fields tests rarely care about. */
export function ci(fields: Partial<FakeCi> & Pick<FakeCi, 'ciId' | 'ciName' | 'nsPath'>): FakeCi {
  return { ciClassName: 'bom.Compute', created: 1464951332000, updated: 1470909778000, attributes: {}, ...fields };
}
