import { Table, TableForeignKey, type MigrationInterface, type QueryRunner } from 'typeorm';
import { columns } from './1763700000000-Init.js';

/** The audit trail of inventory changes (`changes`), newest first by id, scoped by project. */
export class Changes1763750000000 implements MigrationInterface {
  name = 'Changes1763750000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.options.type === 'mysql' || q.connection.options.type === 'mariadb';
    const c = columns(mysql);
    await q.createTable(new Table({
      name: 'changes',
      columns: [
        c.id(), c.ref('project_id'), c.time('at'), c.str('actor'), c.str('action', 8), c.str('object_type', 32), c.str('source', 64),
        c.str('object_key'), c.text('before', true), c.text('after', true), c.str('request_id', 128),
      ],
      indices: [
        { name: 'ix_changes_project', columnNames: ['project_id', 'id'] },
        { name: 'ix_changes_object', columnNames: ['project_id', 'object_type', 'source', 'object_key', 'id'] },
        { name: 'ix_changes_at', columnNames: ['project_id', 'at'] },
      ],
      foreignKeys: [new TableForeignKey({ columnNames: ['project_id'], referencedTableName: 'projects', referencedColumnNames: ['id'], onDelete: 'CASCADE' })],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('changes', true, true, true);
  }
}
