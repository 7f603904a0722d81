import { NotFoundError } from '../src/errors.js';
import { listDevices } from '../src/inventory/catalog.js';
import { addLabels, createDevice, removeLabels, updateDevice } from '../src/inventory/devices.js';
import { createCell, createCloud, createRegion, updateNamed } from '../src/inventory/hierarchy.js';
import { cellsOf, listCells, listClouds, listLabels, listNetworks, listRegions, regionsOf } from '../src/inventory/lists.js';
import { createInterface, createNetwork, updateNetwork } from '../src/inventory/networks.js';
import type { Context } from '../src/context.js';
import type { Resolvers } from '../src/generated/graphql.js';
import type { CellRow, CloudRow, DeviceRow, RegionRow } from '../src/store/entities.js';
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

const deviceFields = {
  ...holderFields,
  labels: (d: DeviceRow, _a: unknown, ctx: Context) => ctx.scope.loaders.labels.load(d.id),
  cloud: cloudOf,
  region: regionOf,
  cell: cellOf,
  parent: (d: DeviceRow, _a: unknown, ctx: Context) => (d.parentId == null ? null : ctx.scope.loaders.device.load(d.parentId)),
  children: (d: DeviceRow, _a: unknown, ctx: Context) => ctx.scope.loaders.children.load(d.id),
  interfaces: (d: DeviceRow, _a: unknown, ctx: Context) => ctx.scope.loaders.interfacesByDevice.load(d.id),
  source: () => REFERENCE_INFO,
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
      return [{ name: ref.name, kind: ref.kind, readOnly: ref.readOnly, ...(await ref.health()) }];
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
  NetworkDevice: { ...deviceFields, vlans: (d) => (d.vlans == null ? null : JSON.parse(d.vlans)) },
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
