import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { workflowEntities } from './workflow-entities.js';

// Entities mirror the tables that src/store/migrations create; `synchronize` is never used outside throwaway
// tests. Every column has an explicit type (tsx/esbuild emit no decorator metadata). Relations are plain
// id columns: loaders batch the joins, so no lazy relation can issue a query in a loop.

/** Timestamps as the store keeps them: milliseconds on both SQLite and MySQL. */
const createdAt = { name: 'created_at', type: 'datetime', precision: 3 } as const;
const updatedAt = { name: 'updated_at', type: 'datetime', precision: 3, nullable: true } as const;

/** What a user may do in their project; root is a separate flag. */
export type RoleName = 'ADMIN' | 'OPERATOR' | 'VIEWER';

@Entity('projects')
export class ProjectRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ type: 'varchar', length: 255 }) name!: string;
  @Column(createdAt) createdAt!: Date;
  @Column(updatedAt) updatedAt!: Date | null;
}

@Entity('users')
export class UserRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  /** The home project; root users may act in others. */
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  @Column({ type: 'varchar', length: 255 }) name!: string;
  @Column({ type: 'varchar', length: 16 }) role!: RoleName;
  @Column({ name: 'is_root', type: 'boolean', default: false }) isRoot!: boolean;
  @Column(createdAt) createdAt!: Date;
  @Column(updatedAt) updatedAt!: Date | null;
}

@Entity('api_keys')
export class ApiKeyRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'user_id', type: 'integer' }) userId!: number;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  @Column({ type: 'varchar', length: 255, nullable: true }) name!: string | null;
  /** First characters of the secret, to recognise a key in a list. */
  @Column({ type: 'varchar', length: 16 }) prefix!: string;
  /** sha256 of the whole secret, hex. Secrets are high-entropy, so a plain hash is the right tool. */
  @Index({ unique: true }) @Column({ name: 'token_hash', type: 'varchar', length: 64 }) tokenHash!: string;
  @Column(createdAt) createdAt!: Date;
  @Column({ name: 'expires_at', type: 'datetime', precision: 3, nullable: true }) expiresAt!: Date | null;
  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true }) revokedAt!: Date | null;
  @Column({ name: 'last_used_at', type: 'datetime', precision: 3, nullable: true }) lastUsedAt!: Date | null;
}

@Entity('clouds')
export class CloudRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  @Column({ type: 'varchar', length: 255 }) name!: string;
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @Column(createdAt) createdAt!: Date;
  @Column(updatedAt) updatedAt!: Date | null;
}

@Entity('regions')
export class RegionRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  @Column({ name: 'cloud_id', type: 'integer' }) cloudId!: number;
  @Column({ type: 'varchar', length: 255 }) name!: string;
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @Column(createdAt) createdAt!: Date;
  @Column(updatedAt) updatedAt!: Date | null;
}

@Entity('cells')
export class CellRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  @Column({ name: 'cloud_id', type: 'integer' }) cloudId!: number;
  @Column({ name: 'region_id', type: 'integer' }) regionId!: number;
  @Column({ type: 'varchar', length: 255 }) name!: string;
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @Column(createdAt) createdAt!: Date;
  @Column(updatedAt) updatedAt!: Date | null;
}

/** Discriminator of the devices table. */
export type DeviceKind = 'host' | 'network_device';

@Entity('devices')
export class DeviceRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ type: 'varchar', length: 16 }) kind!: DeviceKind;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  @Column({ name: 'cloud_id', type: 'integer' }) cloudId!: number;
  @Column({ name: 'region_id', type: 'integer' }) regionId!: number;
  @Column({ name: 'cell_id', type: 'integer', nullable: true }) cellId!: number | null;
  @Column({ name: 'parent_id', type: 'integer', nullable: true }) parentId!: number | null;
  @Column({ type: 'varchar', length: 255 }) name!: string;
  @Column({ name: 'ip_address', type: 'varchar', length: 64, nullable: true }) ipAddress!: string | null;
  @Column({ name: 'device_type', type: 'varchar', length: 255 }) deviceType!: string;
  @Column({ type: 'boolean', default: true }) active!: boolean;
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @Column({ name: 'model_name', type: 'varchar', length: 255, nullable: true }) modelName!: string | null;
  @Column({ name: 'os_version', type: 'varchar', length: 255, nullable: true }) osVersion!: string | null;
  /** JSON text. */
  @Column({ type: 'text', nullable: true }) vlans!: string | null;
  @Column(createdAt) createdAt!: Date;
  @Column(updatedAt) updatedAt!: Date | null;
}

/**
 * Closure of the device tree: one row per (device, strict ancestor) with the distance between them.
 * Maintained on create and reparent, so ancestors of a whole page load in one statement and the
 * resolution-aware variable search needs no recursive query.
 */
@Entity('device_ancestors')
export class DeviceAncestorRow {
  @PrimaryColumn({ name: 'device_id', type: 'integer' }) deviceId!: number;
  @PrimaryColumn({ name: 'ancestor_id', type: 'integer' }) ancestorId!: number;
  @Column({ type: 'integer' }) depth!: number;
}

@Entity('labels')
export class LabelRow {
  @PrimaryColumn({ name: 'device_id', type: 'integer' }) deviceId!: number;
  @PrimaryColumn({ type: 'varchar', length: 255 }) label!: string;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
}

@Entity('networks')
export class NetworkRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  @Column({ name: 'cloud_id', type: 'integer' }) cloudId!: number;
  @Column({ name: 'region_id', type: 'integer' }) regionId!: number;
  @Column({ name: 'cell_id', type: 'integer', nullable: true }) cellId!: number | null;
  @Column({ type: 'varchar', length: 255 }) name!: string;
  @Column({ type: 'varchar', length: 64, nullable: true }) cidr!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) gateway!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) netmask!: string | null;
  @Column({ name: 'ip_block_type', type: 'varchar', length: 255, nullable: true }) ipBlockType!: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) nss!: string | null;
  @Column(createdAt) createdAt!: Date;
  @Column(updatedAt) updatedAt!: Date | null;
}

@Entity('network_interfaces')
export class NetworkInterfaceRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  @Column({ name: 'device_id', type: 'integer' }) deviceId!: number;
  @Column({ name: 'network_id', type: 'integer', nullable: true }) networkId!: number | null;
  @Column({ type: 'varchar', length: 255 }) name!: string;
  @Column({ name: 'interface_type', type: 'varchar', length: 255, nullable: true }) interfaceType!: string | null;
  @Column({ name: 'vlan_id', type: 'integer', nullable: true }) vlanId!: number | null;
  @Column({ type: 'integer', nullable: true }) port!: number | null;
  @Column({ name: 'ip_address', type: 'varchar', length: 64 }) ipAddress!: string;
  @Column(createdAt) createdAt!: Date;
  @Column(updatedAt) updatedAt!: Date | null;
}

/** Kinds of object that carry variables; `owner_type` of the variables table (`overlay`: a federated host). */
export type OwnerType = 'project' | 'cloud' | 'region' | 'cell' | 'device' | 'network' | 'interface' | 'overlay';

/**
 * Craton's own data attached to a host of an external source: the anchor of its overlay variables
 * (owner_type 'overlay') and labels. Keyed by (project, source, external key); survives restarts.
 */
@Entity('overlays')
export class OverlayRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  @Column({ type: 'varchar', length: 64 }) source!: string;
  @Column({ name: 'external_key', type: 'varchar', length: 255 }) externalKey!: string;
  @Column(createdAt) createdAt!: Date;
}

/** A Craton label on a federated host. */
@Entity('overlay_labels')
export class OverlayLabelRow {
  @PrimaryColumn({ name: 'overlay_id', type: 'integer' }) overlayId!: number;
  @PrimaryColumn({ type: 'varchar', length: 255 }) label!: string;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
}

/** One variable: any JSON value (as text) per key per owner. */
@Entity('variables')
export class VariableRow {
  @PrimaryColumn({ name: 'owner_type', type: 'varchar', length: 16 }) ownerType!: OwnerType;
  @PrimaryColumn({ name: 'owner_id', type: 'integer' }) ownerId!: number;
  @PrimaryColumn({ type: 'varchar', length: 255 }) key!: string;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  /** JSON text of the value. */
  @Column({ type: 'text' }) value!: string;
}

/** What a change did. */
export type ChangeAction = 'CREATE' | 'UPDATE' | 'DELETE';

/**
 * The audit trail: one row per change to inventory, written in the same transaction as the change.
 * `object_type` + `source` + `object_key` make the object's global id.
 */
@Entity('changes')
export class ChangeRow {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'project_id', type: 'integer' }) projectId!: number;
  @Column({ type: 'datetime', precision: 3 }) at!: Date;
  @Column({ type: 'varchar', length: 255 }) actor!: string;
  @Column({ type: 'varchar', length: 8 }) action!: ChangeAction;
  @Column({ name: 'object_type', type: 'varchar', length: 32 }) objectType!: string;
  @Column({ type: 'varchar', length: 64 }) source!: string;
  @Column({ name: 'object_key', type: 'varchar', length: 255 }) objectKey!: string;
  /** JSON text of the object before (null for a create). */
  @Column({ type: 'text', nullable: true }) before!: string | null;
  /** JSON text of the object after (null for a delete). */
  @Column({ type: 'text', nullable: true }) after!: string | null;
  @Column({ name: 'request_id', type: 'varchar', length: 128 }) requestId!: string;
}

export const entities = [ChangeRow, OverlayRow, OverlayLabelRow, 
  ProjectRow, UserRow, ApiKeyRow, CloudRow, RegionRow, CellRow, DeviceRow, DeviceAncestorRow, LabelRow,
  NetworkRow, NetworkInterfaceRow, VariableRow, ...workflowEntities,
];
