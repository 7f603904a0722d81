import { Table, TableForeignKey, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

/**
 * The inventory schema: tenancy (projects, users, keys), the hierarchy (clouds > regions > cells > devices),
 * labels, networks, interfaces, variables and the device closure table. Written with the QueryRunner table
 * API so the same migration runs on SQLite and MySQL/MariaDB.
 *
 * NOTE: strings use a binary collation on MySQL so that names, labels and variable keys compare exactly
 * as they do on SQLite (MySQL's default collation is case-insensitive and would make `Web` collide with `web`).
 */
export class Init1763700000000 implements MigrationInterface {
  name = 'Init1763700000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.options.type === 'mysql' || q.connection.options.type === 'mariadb';
    const c = columns(mysql);

    await q.createTable(new Table({
      name: 'projects',
      columns: [c.id(), c.str('name'), ...c.stamps()],
    }));
    await q.createTable(new Table({
      name: 'users',
      columns: [c.id(), c.ref('project_id'), c.str('name'), c.str('role', 16), c.bool('is_root', false), ...c.stamps()],
      uniques: [{ name: 'uq_users_project_name', columnNames: ['project_id', 'name'] }],
      foreignKeys: [cascade('project_id', 'projects')],
    }));
    await q.createTable(new Table({
      name: 'api_keys',
      columns: [
        c.id(), c.ref('user_id'), c.ref('project_id'), c.str('name', 255, true), c.str('prefix', 16), c.str('token_hash', 64),
        c.time('created_at'), c.time('expires_at', true), c.time('revoked_at', true), c.time('last_used_at', true),
      ],
      indices: [{ name: 'uq_api_keys_token_hash', columnNames: ['token_hash'], isUnique: true }, { name: 'ix_api_keys_user', columnNames: ['user_id'] }],
      foreignKeys: [cascade('user_id', 'users'), cascade('project_id', 'projects')],
    }));
    await q.createTable(new Table({
      name: 'clouds',
      columns: [c.id(), c.ref('project_id'), c.str('name'), c.text('note', true), ...c.stamps()],
      uniques: [{ name: 'uq_clouds_project_name', columnNames: ['project_id', 'name'] }],
      foreignKeys: [cascade('project_id', 'projects')],
    }));
    await q.createTable(new Table({
      name: 'regions',
      columns: [c.id(), c.ref('project_id'), c.ref('cloud_id'), c.str('name'), c.text('note', true), ...c.stamps()],
      uniques: [{ name: 'uq_regions_cloud_name', columnNames: ['cloud_id', 'name'] }],
      indices: [{ name: 'ix_regions_project', columnNames: ['project_id', 'id'] }],
      foreignKeys: [cascade('project_id', 'projects'), cascade('cloud_id', 'clouds')],
    }));
    await q.createTable(new Table({
      name: 'cells',
      columns: [c.id(), c.ref('project_id'), c.ref('cloud_id'), c.ref('region_id'), c.str('name'), c.text('note', true), ...c.stamps()],
      uniques: [{ name: 'uq_cells_region_name', columnNames: ['region_id', 'name'] }],
      indices: [{ name: 'ix_cells_project', columnNames: ['project_id', 'id'] }, { name: 'ix_cells_cloud', columnNames: ['cloud_id'] }],
      foreignKeys: [cascade('project_id', 'projects'), cascade('cloud_id', 'clouds'), cascade('region_id', 'regions')],
    }));
    await q.createTable(new Table({
      name: 'devices',
      columns: [
        c.id(), c.str('kind', 16), c.ref('project_id'), c.ref('cloud_id'), c.ref('region_id'), c.ref('cell_id', true), c.ref('parent_id', true),
        c.str('name'), c.str('ip_address', 64, true), c.str('device_type'), c.bool('active', true), c.text('note', true),
        c.str('model_name', 255, true), c.str('os_version', 255, true), c.text('vlans', true), ...c.stamps(),
      ],
      uniques: [{ name: 'uq_devices_region_name', columnNames: ['region_id', 'name'] }],
      indices: [
        { name: 'ix_devices_project_kind', columnNames: ['project_id', 'kind', 'id'] },
        { name: 'ix_devices_cloud', columnNames: ['cloud_id'] },
        { name: 'ix_devices_cell', columnNames: ['cell_id'] },
        { name: 'ix_devices_parent', columnNames: ['parent_id'] },
        { name: 'ix_devices_project_name', columnNames: ['project_id', 'name'] },
        { name: 'ix_devices_project_ip', columnNames: ['project_id', 'ip_address'] },
      ],
      foreignKeys: [
        cascade('project_id', 'projects'), cascade('cloud_id', 'clouds'), cascade('region_id', 'regions'), cascade('cell_id', 'cells'),
        // Deleting a device with children is refused in code (CONFLICT); the FK only guards cascades from containers.
        new TableForeignKey({ columnNames: ['parent_id'], referencedTableName: 'devices', referencedColumnNames: ['id'], onDelete: 'SET NULL' }),
      ],
    }));
    await q.createTable(new Table({
      name: 'device_ancestors',
      columns: [pk(c.ref('device_id')), pk(c.ref('ancestor_id')), c.int('depth')],
      indices: [{ name: 'ix_device_ancestors_ancestor', columnNames: ['ancestor_id', 'device_id'] }],
      foreignKeys: [cascade('device_id', 'devices'), cascade('ancestor_id', 'devices')],
    }));
    await q.createTable(new Table({
      name: 'labels',
      columns: [pk(c.ref('device_id')), pk(c.str('label')), c.ref('project_id')],
      indices: [{ name: 'ix_labels_project_label', columnNames: ['project_id', 'label', 'device_id'] }],
      foreignKeys: [cascade('device_id', 'devices'), cascade('project_id', 'projects')],
    }));
    await q.createTable(new Table({
      name: 'networks',
      columns: [
        c.id(), c.ref('project_id'), c.ref('cloud_id'), c.ref('region_id'), c.ref('cell_id', true), c.str('name'),
        c.str('cidr', 64, true), c.str('gateway', 64, true), c.str('netmask', 64, true), c.str('ip_block_type', 255, true), c.str('nss', 255, true),
        ...c.stamps(),
      ],
      uniques: [{ name: 'uq_networks_project_region_name', columnNames: ['project_id', 'region_id', 'name'] }],
      indices: [{ name: 'ix_networks_region', columnNames: ['region_id'] }, { name: 'ix_networks_cell', columnNames: ['cell_id'] }, { name: 'ix_networks_cloud', columnNames: ['cloud_id'] }],
      foreignKeys: [cascade('project_id', 'projects'), cascade('cloud_id', 'clouds'), cascade('region_id', 'regions'), cascade('cell_id', 'cells')],
    }));
    await q.createTable(new Table({
      name: 'network_interfaces',
      columns: [
        c.id(), c.ref('project_id'), c.ref('device_id'), c.ref('network_id', true), c.str('name'), c.str('interface_type', 255, true),
        c.int('vlan_id', true), c.int('port', true), c.str('ip_address', 64), ...c.stamps(),
      ],
      uniques: [{ name: 'uq_interfaces_device_name', columnNames: ['device_id', 'name'] }],
      indices: [{ name: 'ix_interfaces_network', columnNames: ['network_id'] }, { name: 'ix_interfaces_project', columnNames: ['project_id', 'id'] }],
      foreignKeys: [
        cascade('project_id', 'projects'), cascade('device_id', 'devices'),
        // Deleting a network with interfaces is refused in code (CONFLICT); cascades from containers detach.
        new TableForeignKey({ columnNames: ['network_id'], referencedTableName: 'networks', referencedColumnNames: ['id'], onDelete: 'SET NULL' }),
      ],
    }));
    await q.createTable(new Table({
      name: 'variables',
      columns: [pk(c.str('owner_type', 16)), pk(c.ref('owner_id')), pk(c.str('key')), c.ref('project_id'), c.text('value')],
      indices: [{ name: 'ix_variables_project_key', columnNames: ['project_id', 'key', 'owner_type', 'owner_id'] }],
      foreignKeys: [cascade('project_id', 'projects')],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['variables', 'network_interfaces', 'networks', 'labels', 'device_ancestors', 'devices', 'cells', 'regions', 'clouds', 'api_keys', 'users', 'projects']) {
      await q.dropTable(t, true, true, true);
    }
  }
}

function pk(column: TableColumnOptions): TableColumnOptions {
  return { ...column, isPrimary: true };
}

function cascade(column: string, table: string): TableForeignKey {
  return new TableForeignKey({ columnNames: [column], referencedTableName: table, referencedColumnNames: ['id'], onDelete: 'CASCADE' });
}

/** Column builders shared by the migrations; the only dialect difference is text size and string collation. */
export function columns(mysql: boolean) {
  const collation = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
  return {
    id: (): TableColumnOptions => ({ name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' }),
    ref: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'integer', isNullable: nullable }),
    int: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'integer', isNullable: nullable }),
    str: (name: string, length = 255, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable, ...collation }),
    text: (name: string, nullable = false): TableColumnOptions => ({ name, type: mysql ? 'mediumtext' : 'text', isNullable: nullable, ...collation }),
    bool: (name: string, dflt: boolean): TableColumnOptions => ({ name, type: 'boolean', isNullable: false, default: dflt ? 1 : 0 }),
    time: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable }),
    stamps: (): TableColumnOptions[] => [
      { name: 'created_at', type: 'datetime', precision: 3, isNullable: false },
      { name: 'updated_at', type: 'datetime', precision: 3, isNullable: true },
    ],
  };
}

