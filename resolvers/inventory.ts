import { NotFoundError } from '../src/errors.js';
import { listDevices } from '../src/inventory/catalog.js';
import { addLabels, createDevice, removeLabels, updateDevice } from '../src/inventory/devices.js';
import { createCell, createCloud, createRegion, updateNamed } from '../src/inventory/hierarchy.js';
import { cellsOf, listCells, listClouds, listLabels, listNetworks, listRegions, regionsOf } from '../src/inventory/lists.js';
import { createInterface, createNetwork, updateNetwork } from '../src/inventory/networks.js';
import type { Context } from '../src/context.js';
import type { Resolvers } from '../src/generated/graphql.js';
import type { CellRow, CloudRow, RegionRow } from '../src/store/entities.js';
import { SourceUnavailableError } from '../src/errors.js';
import { FederatedHost } from '../src/inventory/federated-source.js';
import { federatedLabels, placementOf } from '../src/inventory/federation.js';
import type { DeviceModel } from './models.js';
import { connectionFields, holderFields, typeNameOf } from './common.js';

/** Loads a required parent through the request's loader; a dangling reference is a store inconsistency. */
async function required<T>(value: Promise<T | null>, what: string): Promise<T> {
  const row = await value;
  if (!row) throw new NotFoundError(what);
  return row;
}

const cloudOf = (row: { cloudId: number }, _a: unknown, ctx: Context) => required<CloudRow>(ctx.scope.loaders.cloud.load(row.cloudId), 'Cloud');
const regionOf = (row: { regionId: number }, _a: unknown, ctx: Context) => required<RegionRow>(ctx.scope.loaders.region.load(row.regionId), 'Region');
const cellOf = (row: { cellId: number | null }, _a: unknown, ctx: Context) => (row.cellId == null ? null : ctx.scope.loaders.cell.load(row.cellId));

/** The reference store as devices report it (its health is asked only by `sources`). */
const REFERENCE_INFO = { name: 'craton', kind: 'reference', readOnly: false, status: 'UP', lastError: null, latencyMs: null } as const;

/** A federated host's placement, which must name a cloud and region that exist in Craton. */
async function placed(ctx: Context, h: FederatedHost) {
  const p = await placementOf(ctx.scope, h);
  if (!p.cloud || !p.region) {
    const want = { ...h.defaults, ...h.record.placement };
    throw new SourceUnavailableError(h.source, `host '${h.record.name}' is placed in cloud '${want.cloud}', region '${want.region}', which do not exist in this project`);
  }
  return p;
}

/** Device fields for both kinds of device: rows of the reference store and hosts of external sources. */
const deviceFields = {
  ...holderFields,
  name: (d: DeviceModel) => (d instanceof FederatedHost ? d.record.name : d.name),
  ipAddress: (d: DeviceModel) => (d instanceof FederatedHost ? d.record.ipAddress : d.ipAddress),
  deviceType: (d: DeviceModel) => (d instanceof FederatedHost ? d.record.deviceType : d.deviceType),
  active: (d: DeviceModel) => (d instanceof FederatedHost ? d.record.active : d.active),
  note: (d: DeviceModel) => (d instanceof FederatedHost ? null : d.note),
  // NOTE: a source that reports no creation time shows the time it was first served.
  createdAt: (d: DeviceModel) => (d instanceof FederatedHost ? d.record.createdAt ?? d.record.updatedAt ?? new Date() : d.createdAt),
  updatedAt: (d: DeviceModel) => (d instanceof FederatedHost ? d.record.updatedAt ?? null : d.updatedAt),
  labels: (d: DeviceModel, _a: unknown, ctx: Context) => (d instanceof FederatedHost ? federatedLabels(ctx.scope, d) : ctx.scope.loaders.labels.load(d.id)),
  cloud: async (d: DeviceModel, _a: unknown, ctx: Context) => (d instanceof FederatedHost ? (await placed(ctx, d)).cloud! : cloudOf(d, _a, ctx)),
  region: async (d: DeviceModel, _a: unknown, ctx: Context) => (d instanceof FederatedHost ? (await placed(ctx, d)).region! : regionOf(d, _a, ctx)),
  cell: async (d: DeviceModel, _a: unknown, ctx: Context) => (d instanceof FederatedHost ? (await placed(ctx, d)).cell : cellOf(d, _a, ctx)),
  parent: (d: DeviceModel, _a: unknown, ctx: Context) => (d instanceof FederatedHost || d.parentId == null ? null : ctx.scope.loaders.device.load(d.parentId)),
  children: (d: DeviceModel, _a: unknown, ctx: Context) => (d instanceof FederatedHost ? [] : ctx.scope.loaders.children.load(d.id)),
  interfaces: (d: DeviceModel, _a: unknown, ctx: Context) => (d instanceof FederatedHost ? [] : ctx.scope.loaders.interfacesByDevice.load(d.id)),
  source: (d: DeviceModel, _a: unknown, ctx: Context) => {
    if (!(d instanceof FederatedHost)) return REFERENCE_INFO;
    const s = ctx.app.catalog.external.find((x) => x.name === d.source);
    return { name: d.source, kind: s?.kind ?? 'unknown', readOnly: true, ...(s?.lastHealth() ?? { status: 'DOWN' as const, lastError: 'not configured', latencyMs: null }) };
  },
};

export const inventoryResolvers: Resolvers = {
  Query: {
    clouds: (_p, args, ctx) => listClouds(ctx.scope, args),
    regions: (_p, args, ctx) => listRegions(ctx.scope, args),
    cells: (_p, args, ctx) => listCells(ctx.scope, args),
    networks: (_p, args, ctx) => listNetworks(ctx.scope, args),
    devices: (_p, args, ctx) => listDevices(ctx.scope, ctx.app.catalog, args),
    hosts: (_p, args, ctx) => listDevices(ctx.scope, ctx.app.catalog, args, 'host'),
    networkDevices: (_p, args, ctx) => listDevices(ctx.scope, ctx.app.catalog, args, 'network_device'),
    labels: (_p, args, ctx) => listLabels(ctx.scope, args),
    sources: async (_p, _a, ctx) => {
      const ref = ctx.app.catalog.reference;
      const external = await ctx.app.catalog.sourcesOf(ctx.scope.projectId);
      return Promise.all([
        ref.health().then((h) => ({ name: ref.name, kind: ref.kind, readOnly: ref.readOnly, ...h })),
        ...external.map((s) => s.probe().then((h) => ({ name: s.name, kind: s.kind, readOnly: true, ...h }))),
      ]);
    },
  },
  Mutation: {
    createCloud: (_p, { input }, ctx) => createCloud(ctx.scope, input, ctx.app.config.maxVariableBytes),
    createRegion: (_p, { input }, ctx) => createRegion(ctx.scope, input, ctx.app.config.maxVariableBytes),
    createCell: (_p, { input }, ctx) => createCell(ctx.scope, input, ctx.app.config.maxVariableBytes),
    createHost: (_p, { input }, ctx) => createDevice(ctx.scope, 'host', input, ctx.app.config.maxVariableBytes),
    createNetworkDevice: (_p, { input }, ctx) => createDevice(ctx.scope, 'network_device', input, ctx.app.config.maxVariableBytes),
    createNetwork: (_p, { input }, ctx) => createNetwork(ctx.scope, input, ctx.app.config.maxVariableBytes),
    createNetworkInterface: (_p, { input }, ctx) => createInterface(ctx.scope, input, ctx.app.config.maxVariableBytes),
    updateCloud: (_p, { id, input }, ctx) => updateNamed<CloudRow>(ctx.scope, 'Cloud', id, input),
    updateRegion: (_p, { id, input }, ctx) => updateNamed<RegionRow>(ctx.scope, 'Region', id, input),
    updateCell: (_p, { id, input }, ctx) => updateNamed<CellRow>(ctx.scope, 'Cell', id, input),
    updateHost: (_p, { id, input }, ctx) => updateDevice(ctx.scope, 'host', id, input),
    updateNetworkDevice: (_p, { id, input }, ctx) => updateDevice(ctx.scope, 'network_device', id, input),
    updateNetwork: (_p, { id, input }, ctx) => updateNetwork(ctx.scope, id, input),
    addLabels: (_p, { id, labels }, ctx) => addLabels(ctx.scope, id, labels),
    removeLabels: (_p, { id, labels }, ctx) => removeLabels(ctx.scope, id, labels),
  },
  Cloud: {
    ...holderFields,
    project: (c, _a, ctx) => required(ctx.scope.loaders.project.load(c.projectId), 'Project'),
    regions: (c, args, ctx) => regionsOf(ctx.scope, c.id, args),
  },
  Region: {
    ...holderFields,
    cloud: cloudOf,
    cells: (r, args, ctx) => cellsOf(ctx.scope, r.id, args),
  },
  Cell: { ...holderFields, cloud: cloudOf, region: regionOf },
  Device: { __resolveType: (d) => typeNameOf(d) as 'Host' | 'NetworkDevice' },
  Host: deviceFields,
  NetworkDevice: { ...(deviceFields as unknown as Resolvers['NetworkDevice']), vlans: (d) => (d.vlans == null ? null : JSON.parse(d.vlans)) },
  Network: {
    ...holderFields,
    cloud: cloudOf,
    region: regionOf,
    cell: cellOf,
    interfaces: (n, _a, ctx) => ctx.scope.loaders.interfacesByNetwork.load(n.id),
  },
  NetworkInterface: {
    ...holderFields,
    device: (i, _a, ctx) => required(ctx.scope.loaders.device.load(i.deviceId), 'Device'),
    network: (i, _a, ctx) => (i.networkId == null ? null : ctx.scope.loaders.network.load(i.networkId)),
  },
  CloudConnection: connectionFields,
  RegionConnection: connectionFields,
  CellConnection: connectionFields,
  DeviceConnection: connectionFields,
  HostConnection: connectionFields,
  NetworkDeviceConnection: connectionFields,
  NetworkConnection: connectionFields,
  LabelConnection: connectionFields,
};
