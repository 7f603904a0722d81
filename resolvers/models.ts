// What each GraphQL type resolves from: the records of our core, bound to the SDL by codegen's `mappers`
// (codegen.mjs). A field added to the SDL without a resolver that these records can serve fails `tsc`.
import type { Principal } from '../src/auth/principal.js';
import type { ChangeEvent } from '../src/inventory/changes.js';
import type { LabelCount } from '../src/inventory/lists.js';
import type { VariableOrigin } from '../src/inventory/resolve.js';
import type { Holder, LevelHolder } from '../src/inventory/variables.js';
import type { FederatedHost } from '../src/inventory/federated-source.js';
import type { Connection } from '../src/pagination.js';
import type {
  ApiKeyRow, CellRow, CloudRow, DeviceRow, NetworkInterfaceRow, NetworkRow, ProjectRow, RegionRow, UserRow,
} from '../src/store/entities.js';
import type { SourceHealth } from '../sources/source.js';
import type { WorkflowRunModel, WorkflowScheduleModel } from './workflow-models.js';

export type { ApiKeyRow, CellRow, CloudRow, DeviceRow, NetworkInterfaceRow, NetworkRow, ProjectRow, RegionRow, UserRow, Holder };
export type PrincipalModel = Principal;

export type NodeModel = Holder | UserRow | ApiKeyRow | WorkflowRunModel | WorkflowScheduleModel;
/** A device of the graph: a row of the reference store, or a host of an external source. */
export type DeviceModel = DeviceRow | FederatedHost;
export type VariableOriginModel = VariableOrigin<LevelHolder>;
export type LabelModel = LabelCount;
export type SourceModel = SourceHealth & { name: string; kind: string; readOnly: boolean };
export type NewApiKeyModel = { secret: string; apiKey: ApiKeyRow };

export type ProjectConnectionModel = Connection<ProjectRow>;
export type UserConnectionModel = Connection<UserRow>;
export type CloudConnectionModel = Connection<CloudRow>;
export type RegionConnectionModel = Connection<RegionRow>;
export type CellConnectionModel = Connection<CellRow>;
export type DeviceConnectionModel = Connection<DeviceModel>;
export type NetworkConnectionModel = Connection<NetworkRow>;
export type LabelConnectionModel = Connection<LabelCount>;
export type EdgeModel<T> = { cursor: string; node: T };
export type ProjectEdgeModel = EdgeModel<ProjectRow>;
export type UserEdgeModel = EdgeModel<UserRow>;
export type CloudEdgeModel = EdgeModel<CloudRow>;
export type RegionEdgeModel = EdgeModel<RegionRow>;
export type CellEdgeModel = EdgeModel<CellRow>;
export type DeviceEdgeModel = EdgeModel<DeviceModel>;
export type NetworkEdgeModel = EdgeModel<NetworkRow>;
export type LabelEdgeModel = EdgeModel<LabelCount>;
export type ChangeModel = ChangeEvent;
export type ChangeConnectionModel = Connection<ChangeEvent>;
export type ChangeEdgeModel = EdgeModel<ChangeEvent>;
