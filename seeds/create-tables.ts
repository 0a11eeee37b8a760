// Creates a dataset's table from its catalog entry, on SQLite, PostgreSQL or MySQL/MariaDB, through knex.
import type { Knex } from 'knex';
import type { DatasetInfo } from '../src/policy/load-policies';

export async function createDatasetTable(knex: Knex, ds: DatasetInfo): Promise<void> {
  // MySQL keys no TEXT column and keeps TIMESTAMP to 1970-2038: keyed text is VARCHAR, instants DATETIME(3) in UTC.
  const mysql = knex.client.config.client === 'mysql2';
  const keyed = new Set([ds.primaryKey, ...(ds.uniqueKeys ?? []).flat()]);
  await knex.schema.createTable(ds.table, (t) => {
    for (const [name, col] of Object.entries(ds.columns)) {
      let c: Knex.ColumnBuilder;
      switch (col.type) {
        case 'integer': c = t.bigInteger(name); break;
        case 'decimal': c = t.decimal(name, 14, 2); break;
        case 'boolean': c = t.boolean(name); break;
        case 'date': c = t.date(name); break;
        case 'timestamp': c = mysql ? t.datetime(name, { precision: 3 }) : t.timestamp(name, { useTz: true }); break;
        default: c = mysql && keyed.has(name) ? t.string(name, 255) : t.text(name);
      }
      if (name === ds.primaryKey) c.primary();
      if (!col.nullable) c.notNullable();
    }
    for (const key of ds.uniqueKeys ?? []) t.unique(key);
  });
}
