import type { Reply } from './server.js';
import { attrCondition, classMatches, CmsError, nsLike, type FakeCi, type FakeCmsStore, type FakeRelation } from './store.js';

// The CmRestController / NsRestController endpoints the fake serves, with the real controller's branch
// order and quirks: for `/cm/simple/cis`, `attr` wins over `ids`, which wins over nsPath/class/ciName;
// a missing CI or relation by id is a 400 (1006 / 1007); DELETE and state changes answer non-JSON text.

export interface RouteContext {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  scope: string | null;
  user: string | null;
  store: FakeCmsStore;
}

/** CmsScopeVerifier: with a scope, the nsPath must start with it or with /public, else 403 "bad scope". */
function verifyScope(scope: string | null, nsPath: string | null): void {
  if (scope === null) return;
  if (nsPath === null) throw new Error('java.lang.NullPointerException'); // verifyScope(scope, null) dereferences it
  if (!nsPath.startsWith(scope) && !nsPath.startsWith('/public')) throw new CmsError(403, 0, 'bad scope');
}

/** Spring's Boolean conversion of a request parameter: absent is null. */
function bool(q: URLSearchParams, name: string): boolean | null {
  const v = q.get(name);
  if (v === null) return null;
  if (/^(true|on|yes|1)$/i.test(v)) return true;
  if (/^(false|off|no|0)$/i.test(v)) return false;
  throw new Error(`Failed to convert value of type 'java.lang.String' to required type 'java.lang.Boolean'; Invalid boolean value [${v}]`);
}

function required(q: URLSearchParams, name: string): string {
  const v = q.get(name);
  if (v === null) throw new Error(`Required String parameter '${name}' is not present`);
  return v;
}

/** `Long.valueOf` of each comma-separated id; a non-number is a NumberFormatException, a 500. */
function longs(text: string): number[] {
  return text.split(',').map((s) => {
    if (!/^-?\d+$/.test(s.trim())) throw new Error(`java.lang.NumberFormatException: For input string: "${s}"`);
    return Number(s.trim());
  });
}

function missingCi(): CmsError {
  return new CmsError(400, 1006, 'There is no ci with this id');
}

export function routeCis(ctx: RouteContext): Reply | null {
  const { method, path, query: q, store, scope } = ctx;
  const render = (c: FakeCi, includeAltNs = q.get('includeAltNs')) =>
    store.renderCi(c, { value: q.get('value'), getEncrypted: q.has('getEncrypted'), attrProps: q.get('attrProps'), includeAltNs });

  if (path === '/cm/simple/cis' && method === 'GET') {
    const nsPath = q.get('nsPath');
    const clazz = q.get('ciClassName');
    const all = [...store.cis.values()].sort((a, b) => a.ciId - b.ciId);
    const byClass = (c: FakeCi) => clazz === null || classMatches(clazz, c.ciClassName);
    const attrs = q.getAll('attr');
    const altNs = q.get('altNs');
    const altNsTag = q.get('altNsTag');
    const byAltNs = (c: FakeCi) =>
      (altNs === null && altNsTag === null) ||
      Object.entries(c.altNs ?? {}).some(([tag, paths]) => (altNsTag === null || tag === altNsTag) && (altNs === null || paths.includes(altNs)));
    let found: FakeCi[];
    let tag = altNsTag ?? q.get('includeAltNs');
    if (attrs.length > 0) {
      verifyScope(scope, nsPath);
      const recursive = q.has('recursive'); // `recursive != null`: even recursive=false recurses here
      const conds = attrs.map(attrCondition);
      found = all.filter((c) => nsPath !== null && (recursive ? nsLike(c.nsPath, nsPath) : c.nsPath === nsPath) && byClass(c) && byAltNs(c) && conds.every((f) => f(c)));
    } else if (q.has('ids')) {
      found = longs(q.get('ids')!).flatMap((id) => store.cis.get(id) ?? []);
      for (const c of found) verifyScope(scope, c.nsPath);
      tag = q.get('includeAltNs');
    } else {
      verifyScope(scope, nsPath);
      const recursive = bool(q, 'recursive') === true;
      const ciName = q.get('ciName');
      found = all.filter(
        (c) => nsPath !== null && (recursive ? nsLike(c.nsPath, nsPath) : c.nsPath === nsPath) && byClass(c) && (ciName === null || c.ciName === ciName) && byAltNs(c),
      );
    }
    return { stream: found.map((c) => render(c, tag)) };
  }

  if (path === '/cm/simple/cis/count' && method === 'GET') {
    const nsPath = required(q, 'nsPath');
    verifyScope(scope, nsPath);
    const clazz = q.get('ciClassName');
    const ciName = q.get('ciName');
    const groupBy = q.get('groupBy');
    const recursive = groupBy !== null || bool(q, 'recursive') === true;
    const found = [...store.cis.values()].filter(
      (c) => (recursive ? nsLike(c.nsPath, nsPath) : c.nsPath === nsPath) && (clazz === null || classMatches(clazz, c.ciClassName)) && (ciName === null || c.ciName === ciName),
    );
    if (groupBy === null) return { json: { count: found.length } };
    const counts: Record<string, number> = {};
    for (const c of found) counts[c.nsPath] = (counts[c.nsPath] ?? 0) + 1;
    return { json: counts };
  }

  if (path === '/cm/simple/cis/list' && method === 'POST') {
    const body = JSON.parse(ctx.body || 'null') as unknown;
    const request: { ids?: unknown[]; attrProps?: string; includeAltNs?: string } = Array.isArray(body) ? { ids: body } : ((body ?? {}) as object);
    const found = (request.ids ?? []).flatMap((id) => store.cis.get(Number(id)) ?? []);
    for (const c of found) verifyScope(scope, c.nsPath);
    const opts = Array.isArray(body) ? {} : { attrProps: request.attrProps, includeAltNs: request.includeAltNs };
    return { stream: found.map((c) => store.renderCi(c, { value: 'df', ...opts })) };
  }

  if (path === '/cm/simple/cis' && method === 'POST') {
    const input = JSON.parse(ctx.body) as Partial<FakeCi> & { ciAttributes?: Record<string, string> };
    verifyScope(scope, input.nsPath ?? null);
    const now = Date.now();
    const created = store.putCi({
      ciId: store.newId(),
      ciName: String(input.ciName),
      ciClassName: String(input.ciClassName),
      nsPath: String(input.nsPath),
      createdBy: ctx.user,
      created: now,
      updated: now,
      attributes: { ...(input.ciAttributes ?? {}) },
      altNs: input.altNs,
    });
    return { json: render(created) };
  }

  const one = /^\/cm\/simple\/cis\/(\d+)$/.exec(path);
  if (one) {
    const existing = store.cis.get(Number(one[1]));
    if (method === 'GET') {
      if (!existing) throw missingCi();
      verifyScope(scope, existing.nsPath);
      return { json: render(existing) };
    }
    if (method === 'PUT') {
      if (!existing) throw missingCi();
      const input = JSON.parse(ctx.body) as { ciAttributes?: Record<string, string>; ciName?: string };
      verifyScope(scope, existing.nsPath);
      const updated = store.putCi({
        ...existing,
        ciName: input.ciName ?? existing.ciName,
        attributes: { ...existing.attributes, ...(input.ciAttributes ?? {}) },
        updatedBy: ctx.user,
        updated: Date.now(),
      });
      return { json: render(updated) };
    }
    if (method === 'DELETE') {
      if (scope !== null) {
        if (!existing) throw new Error('java.lang.NullPointerException');
        verifyScope(scope, existing.nsPath);
      }
      store.cis.delete(Number(one[1]));
      return { text: '{"deleted"}' };
    }
  }

  const states = /^\/cm\/simple\/cis\/(\d+)\/states$/.exec(path);
  if (states && (method === 'GET' || method === 'PUT')) {
    const newState = required(q, 'newState');
    const existing = store.cis.get(Number(states[1]));
    if (!existing) throw missingCi();
    verifyScope(scope, existing.nsPath);
    existing.ciState = newState;
    return { text: '{"updated"}' };
  }
  return null;
}

export function routeRelations(ctx: RouteContext): Reply | null {
  const { method, path, query: q, store, scope } = ctx;
  const opts = { value: q.get('value'), getEncrypted: q.has('getEncrypted') };
  const shortName = (name: string) => name.slice(name.lastIndexOf('.') + 1);

  if (path === '/cm/simple/relations' && method === 'GET') {
    const relName = q.get('relationName');
    const relShort = q.get('relationShortName');
    const target = q.get('targetClassName');
    const fromClazz = q.get('fromClassName');
    const byName = (r: FakeRelation) => (relName === null || r.relationName === relName) && (relShort === null || shortName(r.relationName) === relShort);
    const classOf = (id: number) => store.cis.get(id)?.ciClassName ?? '';
    const all = [...store.relations.values()].sort((a, b) => a.ciRelationId - b.ciRelationId);
    let found: FakeRelation[];
    let embed: { fromCi?: boolean; toCi?: boolean };
    if (q.has('ciId')) {
      const ciId = Number(q.get('ciId'));
      const direction = q.get('direction')?.toLowerCase() ?? null;
      const targetIds = q.has('targetIds') ? longs(q.getAll('targetIds').join(',')) : null;
      const conds = q.getAll('attr').map((a) => {
        const [name = '', op = '', value = ''] = a.split(':');
        return (r: FakeRelation) => (op === 'neq' ? r.attributes?.[name] !== value : r.attributes?.[name] === value);
      });
      if (direction === 'from') {
        // With direction=from the server always embeds toCi; `targetClassName` filters the to side.
        found = all.filter((r) => r.fromCiId === ciId && byName(r) && (target === null || classMatches(target, classOf(r.toCiId))));
        if (targetIds) found = found.filter((r) => targetIds.includes(r.toCiId));
        embed = { toCi: true };
      } else if (direction === 'to') {
        // The `to*` lookup names the parameter fromClazzName: here targetClassName filters the from side.
        found = all.filter((r) => r.toCiId === ciId && byName(r) && (target === null || classMatches(target, classOf(r.fromCiId))));
        if (targetIds) found = found.filter((r) => targetIds.includes(r.fromCiId));
        embed = { fromCi: true };
      } else {
        found = q.getAll('attr').length > 0 || targetIds ? [] : all.filter((r) => r.fromCiId === ciId || r.toCiId === ciId);
        embed = {};
      }
      found = found.filter((r) => conds.every((f) => f(r)));
    } else if (q.has('nsPath')) {
      const nsPath = q.get('nsPath')!;
      const recursive = bool(q, 'recursive') === true;
      found = all.filter(
        (r) =>
          (recursive ? nsLike(r.nsPath, nsPath) : r.nsPath === nsPath) &&
          byName(r) &&
          (fromClazz === null || classMatches(fromClazz, classOf(r.fromCiId))) &&
          (target === null || classMatches(target, classOf(r.toCiId))),
      );
      embed = { fromCi: q.has('includeFromCi'), toCi: q.has('includeToCi') };
    } else {
      throw new CmsError(400, 2021, 'You must specify either ciId or nsPath ');
    }
    for (const r of found) verifyScope(scope, r.nsPath);
    return { json: found.map((r) => store.renderRelation(r, embed, opts)) };
  }

  const one = /^\/cm\/simple\/relations\/(\d+)$/.exec(path);
  if (one) {
    const rel = store.relations.get(Number(one[1]));
    if (method === 'GET') {
      if (!rel) throw new CmsError(400, 1007, 'There is no relation with this id');
      verifyScope(scope, rel.nsPath);
      return { json: store.renderRelation(rel, { fromCi: q.has('includeFromCi'), toCi: q.has('includeToCi') }, opts) };
    }
    if (method === 'DELETE') {
      if (rel) verifyScope(scope, rel.nsPath);
      store.relations.delete(Number(one[1]));
      return { text: '{"deleted"}' };
    }
  }
  return null;
}

export function routeNamespaces(ctx: RouteContext): Reply | null {
  const { method, path, query: q, store } = ctx;
  if (path === '/ns/namespaces' && method === 'GET') {
    const nsPath = required(q, 'nsPath');
    const recursive = bool(q, 'recursive') === true;
    const found = store.namespaces().filter((ns) => (recursive ? nsLike(ns, nsPath) : ns === nsPath));
    return { json: found.map((ns) => ({ nsId: store.nsIdOf(ns), nsPath: ns, created: 1464951332000 })) };
  }
  return null;
}
