// The fake OneOps CMS against the checklist in ../shared/data/oneops-cms-api.md §2.5, through the
// adapter's client where it can and raw fetch where the bytes matter: if the fake drifts from the real
// API, the adapter's tests prove nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OneOpsClient, OneOpsError } from '../../sources/oneops/client.js';
import { seedCis, seedRelations, CLOUDS_NS, CREATED, WEB_NS } from '../fakes/oneops/seed.js';
import { startFakeOneOps, type FakeOneOps } from '../fakes/oneops/server.js';

describe('fake OneOps CMS', () => {
  let fake: FakeOneOps;
  let client: OneOpsClient;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(fake.url + path, { headers });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const names = (body: unknown) => (body as Array<{ ciName: string }>).map((c) => c.ciName);

  beforeAll(async () => {
    fake = await startFakeOneOps({ cis: structuredClone(seedCis), relations: seedRelations });
    client = new OneOpsClient({ name: 'fake', baseUrl: fake.url, fetch, timeoutMs: 2000 });
  });
  afterAll(() => fake.stop());

  it('serves only under /adapter/rest', async () => {
    expect((await fetch(fake.url.replace('/adapter/rest', '') + '/cm/simple/cis?nsPath=/acme')).status).toBe(404);
  });

  it('writes CmsCISimple with every field, nulls included, dates as epoch ms and values as strings', async () => {
    const ci = (await client.request('GET', '/cm/simple/cis/103')) as Record<string, unknown>;
    expect(Object.keys(ci).sort()).toEqual(
      ['altNs', 'attrProps', 'ciAttributes', 'ciClassName', 'ciGoid', 'ciId', 'ciName', 'ciState', 'comments', 'created', 'createdBy', 'impl', 'lastAppliedRfcId', 'nsId', 'nsPath', 'updated', 'updatedBy'].sort(),
    );
    expect(ci).toMatchObject({ comments: null, createdBy: null, created: CREATED, ciState: 'pending_deletion', ciGoid: expect.stringMatching(/^\d+-\d+-103$/) });
    for (const v of Object.values(ci.ciAttributes as object)) expect(typeof v).toBe('string');
  });

  it('matches nsPath exactly unless recursive, and class names full or short', async () => {
    expect(names(await client.request('GET', '/cm/simple/cis', { query: { nsPath: '/acme/shop', ciClassName: 'bom.Compute' } }))).toEqual([]);
    expect(names(await client.request('GET', '/cm/simple/cis', { query: { nsPath: WEB_NS, ciClassName: 'Compute' } }))).toHaveLength(3);
    const all = await client.request('GET', '/cm/simple/cis', { query: { nsPath: '/acme/shop', recursive: true } });
    expect(names(all)).toEqual(['compute-101-1', 'compute-102-1', 'compute-103-1', 'web', 'compute-201-1', 'web-qa-1']);
  });

  it('filters by attr eq, neq and like, ANDed, before ids and nsPath', async () => {
    const q = (attr: string[]) => get(`/cm/simple/cis?nsPath=/acme&recursive=true&ids=101&${attr.map((a) => `attr=${encodeURIComponent(a)}`).join('&')}`);
    expect(names(JSON.parse((await q(['availability_zone:eq:az-1'])).text))).toEqual(['compute-101-1', 'compute-103-1', 'compute-201-1']);
    expect(names(JSON.parse((await q(['availability_zone:eq:az-1', 'private_ip:like:10.1.%'])).text))).toEqual(['compute-101-1', 'compute-103-1']);
    expect(names(JSON.parse((await q(['availability_zone:neq:az-1', 'availability_zone:like:az-_'])).text))).toEqual(['compute-102-1', 'web-qa-1']);
  });

  it('reads by ids, returns dj values on value=dj, and masks encrypted values unless getEncrypted', async () => {
    expect(names(await client.request('GET', '/cm/simple/cis', { query: { ids: '103,999,101' } }))).toEqual(['compute-103-1', 'compute-101-1']);
    const dj = (await client.request('GET', '/cm/simple/cis/103', { query: { value: 'dj' } })) as { ciAttributes: Record<string, string> };
    expect(dj.ciAttributes.hostname).toBe('web-3-renamed');
    const plain = (await client.getCi(101))!.ciAttributes.root_password;
    const shown = ((await client.request('GET', '/cm/simple/cis/101', { query: { getEncrypted: 'true' } })) as { ciAttributes: Record<string, string> }).ciAttributes.root_password;
    expect([plain, shown]).toEqual(['--ENCRYPTED--', '::ENCRYPTED::c2VjcmV0']);
  });

  it('fills altNs only for includeAltNs (a tag, or * for all)', async () => {
    expect((await client.getCi(101))!.altNs).toEqual({});
    expect((await client.getCi(101, { includeAltNs: 'pci' }))!.altNs).toEqual({ pci: ['/acme/_tags/pci'] });
    expect(Object.keys((await client.getCi(101, { includeAltNs: '*' }))!.altNs).sort()).toEqual(['frontend', 'pci']);
  });

  it('answers 400 with errorCodes 1006 and 1007 for a missing CI or relation, as Gson without a JSON type', async () => {
    const ci = await get('/cm/simple/cis/424242');
    expect(ci).toEqual({ status: 400, type: null, text: '{"code":400,"errorCode":1006,"message":"There is no ci with this id"}' });
    const rel = await get('/cm/simple/relations/424242');
    expect(JSON.parse(rel.text)).toEqual({ code: 400, errorCode: 1007, message: 'There is no relation with this id' });
    expect(await client.getCi(424242)).toBeNull();
  });

  it('refuses anything outside X-Cms-Scope with 403 "bad scope", /public excepted', async () => {
    const res = await get(`/cm/simple/cis?nsPath=${CLOUDS_NS}`, { 'x-cms-scope': '/acme/shop' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toEqual({ code: 403, errorCode: 0, message: 'bad scope' });
    expect((await get('/cm/simple/cis?nsPath=/public/x', { 'x-cms-scope': '/acme/shop' })).status).toBe(200);
  });

  it('answers DELETE and state changes with non-JSON text, which the client returns as text', async () => {
    const created = (await client.request('POST', '/cm/simple/cis', { body: { ciName: 'tmp', ciClassName: 'bom.Compute', nsPath: WEB_NS, ciAttributes: { a: '1' } } })) as { ciId: number };
    expect(await client.request('GET', `/cm/simple/cis/${created.ciId}/states`, { query: { newState: 'locked' } })).toBe('{"updated"}');
    const raw = await fetch(`${fake.url}/cm/simple/cis/${created.ciId}`, { method: 'DELETE' });
    expect([raw.headers.get('content-type'), await raw.text()]).toEqual(['text/plain;charset=ISO-8859-1', '{"deleted"}']);
    await expect(client.getCi(created.ciId)).resolves.toBeNull();
    await expect(client.request('POST', '/cm/simple/cis', { body: { ciName: 'web', ciClassName: 'bom.Fqdn', nsPath: WEB_NS } })).rejects.toMatchObject({ status: 400, errorCode: 1008 });
  });

  it('embeds the far-side CI for ciId + direction, and on nsPath queries only when asked', async () => {
    const from = await client.getRelations({ ciId: 101, direction: 'from' });
    expect(from.map((r) => [r.toCi?.ciName, r.fromCi])).toEqual([['dal-cloud', null]]);
    const to = await client.getRelations({ ciId: 901, direction: 'to', targetClassName: 'bom.Compute' });
    expect(to.map((r) => r.fromCi?.ciName)).toEqual(['compute-101-1', 'compute-201-1']);
    const bare = await client.getRelations({ nsPath: '/acme/shop', recursive: true });
    expect(bare.map((r) => [r.fromCi, r.toCi])).toEqual([[null, null], [null, null], [null, null]]);
    const raw = (await client.request('GET', '/cm/simple/relations', { query: { ciId: 101, direction: 'from' } })) as Array<Record<string, unknown>>;
    expect(raw[0]).toMatchObject({ createdBy: null, updatedBy: null, relationAttributes: { priority: '1' } });
  });

  it('answers 400/2021 for a relation query with neither ciId nor nsPath', async () => {
    await expect(client.getRelations({ relationName: 'base.DeployedTo' })).rejects.toEqual(expect.objectContaining({ status: 400, errorCode: 2021 }));
    await expect(client.getRelations({})).rejects.toBeInstanceOf(OneOpsError);
  });

  it('counts with {"count": N}, or by nsPath with groupBy', async () => {
    expect(await client.countCis({ nsPath: '/acme/shop', ciClassName: 'bom.Compute', recursive: true })).toBe(5);
    const grouped = await client.request('GET', '/cm/simple/cis/count', { query: { nsPath: '/acme/shop', ciClassName: 'Compute', groupBy: 'ns' } });
    expect(grouped).toEqual({ [WEB_NS]: 3, '/acme/shop/prod/bom/db/1': 1, '/acme/shop/qa/bom/web/1': 1 });
  });
});
