// API keys: listed (never with their secret), revoked, expired, and their last use recorded.
import { createHash } from 'node:crypto';
import { isObjectType } from 'graphql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeResponse, startGateway, type TestGateway } from '../helpers/gateway.js';
import { makeProjectWithUser, type ProjectUser } from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';
import { connectOnly } from '../helpers/ws.js';
import { schema, selectionOf } from './schema-walk.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every field of ApiKey (from the schema, so a field added later is checked too), one level of objects. */
const API_KEY_FIELDS = selectionOf(schema.getType('ApiKey')!, 1);

describeEachStore('API keys', (store) => {
  let root: TestGateway;
  let admin: ProjectUser;
  let viewer: ProjectUser;
  let other: ProjectUser;
  let a: TestGateway;

  beforeAll(async () => {
    root = await startGateway(store);
    admin = await makeProjectWithUser(root, 'ADMIN', { userName: 'keys-admin' });
    viewer = await makeProjectWithUser(root, 'VIEWER', { projectId: admin.projectId, userName: 'keys-viewer' });
    other = await makeProjectWithUser(root, 'ADMIN', { userName: 'keys-other' });
    a = root.as({ key: admin.key });
  });
  afterAll(async () => {
    await root?.stop();
  });

  async function newKey(userId: string, options: Record<string, unknown> = {}, by: TestGateway = a) {
    const data = await by.ok(
      `mutation($u: ID!, $n: String, $o: CreateApiKeyOptions) { createApiKey(userId: $u, name: $n, options: $o) { secret apiKey ${API_KEY_FIELDS} } }`,
      { u: userId, n: 'ci', o: options },
    );
    return data.createApiKey as { secret: string; apiKey: any };
  }

  /** Whatever in a response could give the secret away: the secret, its random part, or its sha256. */
  function secretTraces(secret: string, prefix: string): string[] {
    return [secret, secret.slice(prefix.length), createHash('sha256').update(secret).digest('hex'), createHash('sha256').update(secret).digest('base64')];
  }

  it('ApiKey has no field that could hold a secret; only createApiKey’s answer carries one', () => {
    const apiKey = schema.getType('ApiKey');
    expect(isObjectType(apiKey)).toBe(true);
    if (!isObjectType(apiKey)) return;
    const suspicious = Object.keys(apiKey.getFields()).filter((f) => /secret|token|hash|password/i.test(f));
    expect(suspicious).toEqual([]);
  });

  it('lists keys through User.apiKeys, node(id), me and Project.users with every field, never the secret or its hash', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const { secret, apiKey } = await newKey(viewer.userId, { expiresAt });
    expect(secret.startsWith(apiKey.prefix), 'the prefix is the start of the secret').toBe(true);
    expect(apiKey.prefix.length, 'the prefix is much shorter than the secret').toBeLessThanOrEqual(Math.min(16, secret.length / 2));
    expect(apiKey).toMatchObject({ name: 'ci', revokedAt: null, lastUsedAt: null, user: { id: viewer.userId } });
    expect(Math.abs(Date.parse(apiKey.expiresAt) - Date.parse(expiresAt))).toBeLessThan(1_000);
    expect(Math.abs(Date.parse(apiKey.createdAt) - Date.now())).toBeLessThan(60_000);

    const listings = [
      ['User.apiKeys as ADMIN', await a.gql(`query($id: ID!) { node(id: $id) { ... on User { apiKeys ${API_KEY_FIELDS} } } }`, { id: viewer.userId })],
      ['node(key id) as ADMIN', await a.gql(`query($id: ID!) { node(id: $id) { ... on ApiKey ${API_KEY_FIELDS} } }`, { id: apiKey.id })],
      ['me as the key’s owner', await root.gql(`{ me { user { apiKeys ${API_KEY_FIELDS} } } }`, {}, { key: viewer.key })],
      ['me with the new key itself', await root.gql(`{ me { user { apiKeys ${API_KEY_FIELDS} } } }`, {}, { key: secret })],
      ['Project.users as ADMIN', await a.gql(`query($p: ID!) { node(id: $p) { ... on Project { users(first: 1000) { edges { node { apiKeys ${API_KEY_FIELDS} } } } } } }`, { p: admin.projectId })],
      ['the change trail', await a.gql(`{ changes(first: 1000) { edges { node { before after } } } }`)],
    ] as const;
    for (const [what, res] of listings) {
      expect(res.body.errors, `${what}: ${describeResponse(res)}`).toBeUndefined();
      const text = JSON.stringify(res.body);
      for (const trace of secretTraces(secret, apiKey.prefix)) expect(text.includes(trace), `${what} holds the secret (or its hash)`).toBe(false);
    }
    const listed = listings[0][1].body.data.node.apiKeys.find((k: any) => k.id === apiKey.id);
    expect(listed, 'the key is listed').toBeTruthy();
    expect(listed).toMatchObject({ id: apiKey.id, name: 'ci', prefix: apiKey.prefix, revokedAt: null });
  });

  it('only the owner and an ADMIN list a user’s keys, and nobody of another project', async () => {
    const own = await root.gql(`query($id: ID!) { node(id: $id) { ... on User { apiKeys { id } } } }`, { id: admin.userId }, { key: viewer.key });
    if (own.body.errors?.length) expect(codeOf(own), describeResponse(own)).toBe('FORBIDDEN');
    else expect(own.body.data.node?.apiKeys ?? null, describeResponse(own)).toBeNull();
    const foreign = await root.gql(`query($id: ID!) { node(id: $id) { ... on User { apiKeys { id prefix } } } }`, { id: viewer.userId }, { key: other.key });
    expect(foreign.body.data?.node ?? null, describeResponse(foreign)).toBeNull();
    const { apiKey } = await newKey(viewer.userId);
    const keyNode = await root.gql(`query($id: ID!) { node(id: $id) { ... on ApiKey { id prefix } } }`, { id: apiKey.id }, { key: other.key });
    expect(keyNode.body.data?.node ?? null, describeResponse(keyNode)).toBeNull();
    const revoke = await root.gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: apiKey.id }, { key: other.key });
    expect(codeOf(revoke), describeResponse(revoke)).toBe('NOT_FOUND');
  });

  it('refuses a key after its expiresAt over HTTP and graphql-ws, and refuses an expiry in the past', async () => {
    const expiresAt = new Date(Date.now() + 2_000).toISOString();
    const { secret, apiKey } = await newKey(viewer.userId, { expiresAt });
    expect((await root.ok(`{ me { role } }`, {}, { key: secret })).me.role).toBe('VIEWER');
    const before = await connectOnly(root.url, { authorization: `Bearer ${secret}` });
    expect(before.acknowledged, JSON.stringify(before)).toBe(true);
    if (before.acknowledged) await before.close();
    await sleep(Math.max(0, Date.parse(apiKey.expiresAt) - Date.now()) + 1_100);
    const after = await root.gql(`{ me { role } }`, {}, { key: secret });
    expect(codeOf(after), describeResponse(after)).toBe('UNAUTHENTICATED');
    expect(after.body.data ?? null).toBeNull();
    const ws = await connectOnly(root.url, { authorization: `Bearer ${secret}` });
    expect(ws.acknowledged, JSON.stringify(ws)).toBe(false);
    if (!ws.acknowledged) expect([4401, 4403]).toContain(ws.closeCode);

    for (const past of [new Date(Date.now() - 60_000).toISOString(), '1970-01-01T00:00:00.000Z']) {
      const res = await a.gql(`mutation($u: ID!, $o: CreateApiKeyOptions) { createApiKey(userId: $u, options: $o) { secret } }`, {
        u: viewer.userId,
        o: { expiresAt: past },
      });
      expect(codeOf(res), `expiresAt ${past}: ${describeResponse(res)}`).toBe('BAD_USER_INPUT');
    }
    const bad = await a.gql(`mutation($u: ID!, $o: CreateApiKeyOptions) { createApiKey(userId: $u, options: $o) { secret } }`, {
      u: viewer.userId,
      o: { expiresAt: 'tomorrow' },
    });
    expect(codeOf(bad), describeResponse(bad)).toBe('BAD_USER_INPUT');
  });

  it('refuses a revoked key over HTTP and graphql-ws, lists it with revokedAt, and answers false to a second revoke', async () => {
    const { secret, apiKey } = await newKey(viewer.userId);
    expect((await root.ok(`{ me { role } }`, {}, { key: secret })).me.role).toBe('VIEWER');
    const t0 = Date.now();
    expect((await a.ok(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: apiKey.id })).revokeApiKey).toBe(true);
    const res = await root.gql(`{ me { role } }`, {}, { key: secret });
    expect(codeOf(res), describeResponse(res)).toBe('UNAUTHENTICATED');
    const ws = await connectOnly(root.url, { authorization: `Bearer ${secret}` });
    expect(ws.acknowledged, JSON.stringify(ws)).toBe(false);
    const listed = await a.ok(`query($id: ID!) { node(id: $id) { ... on ApiKey { revokedAt } } }`, { id: apiKey.id });
    expect(Math.abs(Date.parse(listed.node.revokedAt) - t0)).toBeLessThan(60_000);
    expect((await a.ok(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: apiKey.id })).revokeApiKey).toBe(false);
    expect((await root.ok(`{ me { role } }`, {}, { key: viewer.key })).me.role, 'the user’s other key still works').toBe('VIEWER');
  });

  it('records lastUsedAt once a key is used, at about the time of use', async () => {
    const { secret, apiKey } = await newKey(viewer.userId);
    const read = async () => (await a.ok(`query($id: ID!) { node(id: $id) { ... on ApiKey { lastUsedAt } } }`, { id: apiKey.id })).node.lastUsedAt;
    expect(await read(), 'never used yet').toBeNull();
    const t0 = Date.now();
    await root.ok(`{ me { role } }`, {}, { key: secret });
    let lastUsedAt: string | null = null;
    for (let i = 0; i < 30 && !lastUsedAt; i++) {
      lastUsedAt = await read();
      if (!lastUsedAt) await sleep(100);
    }
    expect(lastUsedAt, 'lastUsedAt is set after a use').toBeTruthy();
    expect(Date.parse(lastUsedAt!)).toBeGreaterThanOrEqual(t0 - 1_000);
    expect(Date.parse(lastUsedAt!)).toBeLessThanOrEqual(Date.now() + 1_000);

    // A use over graphql-ws counts too.
    const { secret: wsSecret, apiKey: wsKey } = await newKey(viewer.userId);
    const outcome = await connectOnly(root.url, { authorization: `Bearer ${wsSecret}` });
    if (outcome.acknowledged) await outcome.close();
    let wsUsed: string | null = null;
    for (let i = 0; i < 30 && !wsUsed; i++) {
      wsUsed = (await a.ok(`query($id: ID!) { node(id: $id) { ... on ApiKey { lastUsedAt } } }`, { id: wsKey.id })).node.lastUsedAt;
      if (!wsUsed) await sleep(100);
    }
    expect(wsUsed, 'lastUsedAt is set after a graphql-ws connection').toBeTruthy();
  });
});
