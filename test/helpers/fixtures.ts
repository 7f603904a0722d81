import { randomBytes } from 'node:crypto';
import type { GqlOptions, TestGateway } from './gateway.js';

/** Who acts: the key to send and the project header (root acting elsewhere). Default: root in its own project. */
export type As = Pick<GqlOptions, 'key' | 'project'>;

/** A name unique within a test run: `prefix-<6 hex>`. */
export function uniq(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Something created through the API: its global id and name. */
export interface Made {
  id: string;
  name: string;
}

export async function makeCloud(
  t: TestGateway,
  name: string,
  variables?: Record<string, unknown>,
  as: As = {},
): Promise<Made> {
  const data = await t.ok(
    `mutation($input: CreateCloudInput!) { createCloud(input: $input) { id name } }`,
    { input: { name, variables } },
    as,
  );
  return data.createCloud;
}

export async function makeRegion(
  t: TestGateway,
  input: { cloudId: string; name: string; note?: string; variables?: Record<string, unknown> },
  as: As = {},
): Promise<Made> {
  const data = await t.ok(
    `mutation($input: CreateRegionInput!) { createRegion(input: $input) { id name } }`,
    { input },
    as,
  );
  return data.createRegion;
}

export async function makeCell(
  t: TestGateway,
  input: { regionId: string; cloudId?: string; name: string; note?: string; variables?: Record<string, unknown> },
  as: As = {},
): Promise<Made> {
  const data = await t.ok(`mutation($input: CreateCellInput!) { createCell(input: $input) { id name } }`, { input }, as);
  return data.createCell;
}

/** The fields of CreateHostInput. */
export interface HostInput {
  regionId: string;
  cloudId?: string;
  cellId?: string;
  parentId?: string;
  name: string;
  ipAddress?: string;
  deviceType?: string;
  active?: boolean;
  note?: string;
  labels?: string[];
  variables?: Record<string, unknown>;
}

export async function makeHost(t: TestGateway, input: HostInput, as: As = {}): Promise<Made> {
  const data = await t.ok(`mutation($input: CreateHostInput!) { createHost(input: $input) { id name } }`, { input }, as);
  return data.createHost;
}

/**
 * Creates many hosts with few requests: `perRequest` aliased createHost mutations per GraphQL document
 * (they run in order). Returns the created hosts in input order.
 */
export async function makeHosts(t: TestGateway, inputs: HostInput[], as: As = {}, perRequest = 50): Promise<Made[]> {
  const made: Made[] = [];
  for (let start = 0; start < inputs.length; start += perRequest) {
    const chunk = inputs.slice(start, start + perRequest);
    const params = chunk.map((_, i) => `$i${i}: CreateHostInput!`).join(', ');
    const fields = chunk.map((_, i) => `h${i}: createHost(input: $i${i}) { id name }`).join('\n');
    const variables = Object.fromEntries(chunk.map((input, i) => [`i${i}`, input]));
    const data = await t.ok(`mutation(${params}) {\n${fields}\n}`, variables, as);
    chunk.forEach((_, i) => made.push(data[`h${i}`]));
  }
  return made;
}

export async function makeNetworkDevice(
  t: TestGateway,
  input: {
    regionId: string;
    cloudId?: string;
    cellId?: string;
    parentId?: string;
    name: string;
    ipAddress?: string;
    deviceType?: string;
    active?: boolean;
    note?: string;
    modelName?: string;
    osVersion?: string;
    vlans?: unknown;
    labels?: string[];
    variables?: Record<string, unknown>;
  },
  as: As = {},
): Promise<Made> {
  const data = await t.ok(
    `mutation($input: CreateNetworkDeviceInput!) { createNetworkDevice(input: $input) { id name } }`,
    { input },
    as,
  );
  return data.createNetworkDevice;
}

export async function makeNetwork(
  t: TestGateway,
  input: {
    regionId: string;
    cloudId?: string;
    cellId?: string;
    name: string;
    cidr?: string;
    gateway?: string;
    netmask?: string;
    ipBlockType?: string;
    nss?: string;
    variables?: Record<string, unknown>;
  },
  as: As = {},
): Promise<Made> {
  const data = await t.ok(
    `mutation($input: CreateNetworkInput!) { createNetwork(input: $input) { id name } }`,
    { input },
    as,
  );
  return data.createNetwork;
}

export async function makeInterface(
  t: TestGateway,
  input: {
    deviceId: string;
    networkId?: string;
    name: string;
    ipAddress: string;
    interfaceType?: string;
    vlanId?: number;
    port?: number;
    variables?: Record<string, unknown>;
  },
  as: As = {},
): Promise<Made> {
  const data = await t.ok(
    `mutation($input: CreateNetworkInterfaceInput!) { createNetworkInterface(input: $input) { id name } }`,
    { input },
    as,
  );
  return data.createNetworkInterface;
}

/** A cloud with one region and one cell in it, all named `<prefix>-…`. */
export async function makeHierarchy(
  t: TestGateway,
  prefix = uniq('h'),
  as: As = {},
): Promise<{ cloudId: string; regionId: string; cellId: string }> {
  const cloud = await makeCloud(t, `${prefix}-cloud`, undefined, as);
  const region = await makeRegion(t, { cloudId: cloud.id, name: `${prefix}-region` }, as);
  const cell = await makeCell(t, { regionId: region.id, name: `${prefix}-cell` }, as);
  return { cloudId: cloud.id, regionId: region.id, cellId: cell.id };
}

/** A user with a key in a project. */
export interface ProjectUser {
  projectId: string;
  userId: string;
  key: string;
}

/**
 * As root: creates a project, a user with `role` in it and a key for that user. Pass `projectId` to add
 * the user to an existing project instead of creating one.
 */
export async function makeProjectWithUser(
  t: TestGateway,
  role: 'ADMIN' | 'OPERATOR' | 'VIEWER',
  opts: { projectId?: string; projectName?: string; userName?: string } = {},
): Promise<ProjectUser> {
  let projectId = opts.projectId;
  if (!projectId) {
    const data = await t.ok(`mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }`, {
      input: { name: opts.projectName ?? uniq('project') },
    });
    projectId = data.createProject.id as string;
  }
  // Root acts inside the project (X-Craton-Project) and also names it in the input.
  const user = await t.ok(
    `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
    { input: { name: opts.userName ?? uniq(role.toLowerCase()), role, projectId } },
    { project: projectId },
  );
  const userId = user.createUser.id as string;
  const key = await makeKey(t, userId, { project: projectId });
  return { projectId, userId, key };
}

/** Creates an API key for a user and returns its secret. */
export async function makeKey(t: TestGateway, userId: string, as: As = {}): Promise<string> {
  const data = await t.ok(
    `mutation($userId: ID!) { createApiKey(userId: $userId) { secret } }`,
    { userId },
    as,
  );
  return data.createApiKey.secret;
}

/** A GraphQL fragment selecting __typename, id and name of every Node type used in these tests. */
export const NODE_FIELDS = `
  __typename id
  ... on Project { name }
  ... on User { name role }
  ... on Cloud { name }
  ... on Region { name }
  ... on Cell { name }
  ... on Device { name }
  ... on Network { name }
  ... on NetworkInterface { name }
`;

/** node(id) as the given caller; returns the node (or null) and fails the test on errors. */
export async function nodeOf(t: TestGateway, id: string, as: As = {}): Promise<any> {
  const data = await t.ok(`query($id: ID!) { node(id: $id) { ${NODE_FIELDS} } }`, { id }, as);
  return data.node;
}
