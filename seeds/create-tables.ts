// Creates a dataset's table from its catalog entry, on SQLite or PostgreSQL, through knex.
import type { Knex } from 'knex';
import type { DatasetInfo } from '../src/policy/load-policies';

export async function createDatasetTable(knex: Knex, ds: DatasetInfo): Promise<void> {
  await knex.schema.createTable(ds.table, (t) => {
    for (const [name, col] of Object.entries(ds.columns)) {
      let c: Knex.ColumnBuilder;
      switch (col.type) {
        case 'integer': c = t.bigInteger(name); break;
        case 'decimal': c = t.decimal(name, 14, 2); break;
        case 'boolean': c = t.boolean(name); break;
        case 'date': c = t.date(name); break;
        case 'timestamp': c = t.timestamp(name, { useTz: true }); break;
        default: c = t.text(name);
      }
      if (name === ds.primaryKey) c.primary();
      if (!col.nullable) c.notNullable();
    }
    for (const key of ds.uniqueKeys ?? []) t.unique(key);
  });
}
