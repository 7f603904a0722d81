import { Table, TableForeignKey, type MigrationInterface, type QueryRunner } from 'typeorm';
import { columns } from './1763700000000-Init.js';

/** Overlays: Craton labels and variables attached to hosts of external sources, keyed by (project, source, key). */
export class Overlays1763760000000 implements MigrationInterface {
  name = 'Overlays1763760000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.options.type === 'mysql' || q.connection.options.type === 'mariadb';
    const c = columns(mysql);
    const project = new TableForeignKey({ columnNames: ['project_id'], referencedTableName: 'projects', referencedColumnNames: ['id'], onDelete: 'CASCADE' });
    await q.createTable(new Table({
      name: 'overlays',
      columns: [c.id(), c.ref('project_id'), c.str('source', 64), c.str('external_key'), c.time('created_at')],
      uniques: [{ name: 'uq_overlays_key', columnNames: ['project_id', 'source', 'external_key'] }],
      foreignKeys: [project],
    }));
    await q.createTable(new Table({
      name: 'overlay_labels',
      columns: [{ ...c.ref('overlay_id'), isPrimary: true }, { ...c.str('label'), isPrimary: true }, c.ref('project_id')],
      indices: [{ name: 'ix_overlay_labels_project_label', columnNames: ['project_id', 'label', 'overlay_id'] }],
      foreignKeys: [
        new TableForeignKey({ columnNames: ['overlay_id'], referencedTableName: 'overlays', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
        new TableForeignKey({ columnNames: ['project_id'], referencedTableName: 'projects', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('overlay_labels', true, true, true);
    await q.dropTable('overlays', true, true, true);
  }
}
