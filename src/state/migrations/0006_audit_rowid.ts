// 0006 (issue 11): on SQLite, the audit entry's id becomes the table's rowid. 0001 declared it
// `bigint primary key`, which SQLite keeps as a separate unique index beside the rowid b-tree, so
// every append wrote four b-trees (table, id, ts, subject); declared `integer` it is the rowid itself
// and an append writes three. SQLite cannot change a column's type in place, so the table is rebuilt
// (its documented procedure: create the new table, copy, drop the old, rename, recreate the indexes)
// inside the migration's transaction: every entry keeps its id and its hash, so the chain verifies
// as before. PostgreSQL keeps its bigint key (a primary key there is the one index it needs).
import type { Knex } from 'knex';
import type { Migration } from '../migration';

/** The start of mg_audit's DDL as SQLite keeps it (0001's knex DDL quotes names with backquotes; a
 *  table renamed by SQLite has its name in double quotes): the name, then the id and its type. */
const TABLE_START = /^CREATE TABLE\s+(?:`mg_audit`|"mg_audit"|mg_audit)\s*\(\s*`id`\s+(\w+)\s*,/i;

export const auditRowid: Migration = {
  async up(knex) {
    if (isSqlite(knex)) await rebuild(knex, 'bigint', 'integer');
  },
  async down(knex) {
    if (isSqlite(knex)) await rebuild(knex, 'integer', 'bigint');
  },
};

function isSqlite(knex: Knex): boolean {
  return (knex.client as { dialect?: string }).dialect === 'sqlite3'; // knex's SQLite clients, ours included
}

/** Recreates mg_audit from its own DDL with the id declared `to` instead of `from`; a no-op if it is
 *  `to` already. A table this migration does not recognise fails it, rather than being marked done. */
async function rebuild(knex: Knex, from: string, to: string): Promise<void> {
  const objects: { type: string; name: string; sql: string | null }[] = await knex('sqlite_master').where({ tbl_name: 'mg_audit' }).select('type', 'name', 'sql');
  const table = objects.find((o) => o.type === 'table');
  const start = table?.sql && TABLE_START.exec(table.sql);
  const declared = start ? start[1].toLowerCase() : undefined;
  if (declared === to) return;
  if (declared !== from) throw new Error(`mg_audit is not the table this migration knows (its id is not declared ${from}): ${table?.sql ?? 'no table'}`);
  await knex.raw(`CREATE TABLE \`mg_audit_rebuilt\` (\`id\` ${to},${table!.sql!.slice(start![0].length)}`);
  await knex.raw('INSERT INTO `mg_audit_rebuilt` SELECT * FROM `mg_audit`');
  await knex.raw('DROP TABLE `mg_audit`');
  await knex.raw('ALTER TABLE `mg_audit_rebuilt` RENAME TO `mg_audit`');
  for (const index of objects) if (index.type === 'index' && index.sql) await knex.raw(index.sql);
}
