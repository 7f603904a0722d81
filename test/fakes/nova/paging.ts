/**
 * What every fake compute route handler gets, and Nova's strict query checking and marker/limit paging.
 */
import { novaFault, type FakeRequest, type FakeResponse } from './http.js';
import type { FakeWorld } from './world.js';

/** Everything a compute route handler sees. */
export interface ComputeCall {
  world: FakeWorld;
  req: FakeRequest;
  /** The negotiated microversion is 2.`minor`. */
  minor: number;
  /** Project of the caller's token. */
  projectId: string;
  /** Nova's `[api]/max_limit`: the page size cap. */
  maxLimit: number;
  /** Host → how many more service updates fail with 500. */
  serviceUpdateFaults: Map<string, number>;
}

/** Rejects query parameters a strict (additionalProperties: false) Nova schema does not know. */
export function unknownQuery(call: ComputeCall, known: string[]): FakeResponse | null {
  const extra = [...call.req.query.keys()].filter((k) => !known.includes(k));
  return extra.length ? novaFault(400, `Invalid input for query parameters ${extra[0]}. Value: ${call.req.query.get(extra[0]!)}. Additional properties are not allowed ('${extra[0]}' was unexpected)`) : null;
}

/** A page of `items` after `marker` (by `key`), capped by `limit` and max_limit, with Nova's next link rule. */
export function page<T>(call: ComputeCall, items: T[], key: (item: T) => string, route: string, markerMessage: (m: string) => string):
  { rows: T[]; links: Array<{ href: string; rel: string }> } | { error: FakeResponse } {
  const q = call.req.query;
  const limit = Math.min(q.has('limit') ? Number(q.get('limit')) : call.maxLimit, call.maxLimit);
  if (!Number.isInteger(limit) || limit < 0) return { error: novaFault(400, `Invalid input for query parameters limit. Value: ${q.get('limit')}.`) };
  let start = 0;
  const marker = q.get('marker');
  if (marker !== null) {
    const at = items.findIndex((i) => key(i) === marker);
    if (at < 0) return { error: novaFault(400, markerMessage(marker)) };
    start = at + 1;
  }
  const rows = items.slice(start, start + limit);
  const links = rows.length === limit && rows.length > 0
    ? [{ href: `${call.req.endpointUrl}${route}?limit=${limit}&marker=${key(rows[rows.length - 1]!)}`, rel: 'next' }]
    : [];
  return { rows, links };
}

