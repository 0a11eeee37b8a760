// The keyset predicate, directly: its SQL for a few orders, and a property over random tables with
// NULLs and ties: for every row, "rows after this row's key" is exactly the rows sorted after it.
import fc from 'fast-check';
import knexFactory, { type Knex } from 'knex';
import { afterKey, keySelect, keysetOrder, type KeyTerm, type KeyValue } from '../../src/query/keyset';
import { toCondition } from '../../src/query/sql-fragment';

describe('keyset', () => {
  it('makes NULL placement explicit, as PostgreSQL orders by default', () => {
    expect(keysetOrder([{ column: 'a', dir: 'asc' }, { column: 'b', dir: 'desc' }, { column: 'c', dir: 'desc', nulls: 'last' }])).toEqual([
      { column: 'a', dir: 'asc', nulls: 'last' },
      { column: 'b', dir: 'desc', nulls: 'first' },
      { column: 'c', dir: 'desc', nulls: 'last' },
    ]);
  });

  it('compares term by term, ties broken by the next term, identifiers and values as bindings', () => {
    const order: KeyTerm[] = [
      { column: 'amount', dir: 'desc', nulls: 'first' },
      { column: 'id', dir: 'asc', nulls: 'last' },
    ];
    expect(afterKey(order, [5, 7])).toEqual({
      sql: '(?? < ?) OR ((?? = ?) AND ((?? > ?) OR (?? IS NULL)))',
      bindings: ['amount', 5, 'amount', 5, 'id', 7, 'id'],
    });
    // After a NULL that sorts first: every non-NULL value, then the NULLs' ties.
    expect(afterKey(order, [null, 7])).toEqual({
      sql: '(?? IS NOT NULL) OR ((?? IS NULL) AND ((?? > ?) OR (?? IS NULL)))',
      bindings: ['amount', 'amount', 'id', 7, 'id'],
    });
    // After a NULL that sorts last, only its ties remain.
    expect(afterKey([{ column: 'a', dir: 'asc', nulls: 'last' }], [null])).toBe(false);
    expect(() => afterKey(order, [1])).toThrow();
  });

  it('selects key columns raw on SQLite and as text on PostgreSQL', () => {
    const order = keysetOrder([{ column: 'created_at', dir: 'desc' }]);
    expect(keySelect(order, 'sqlite')).toEqual([{ sql: '?? AS ??', bindings: ['created_at', '__mg_key_0'] }]);
    expect(keySelect(order, 'postgres')).toEqual([{ sql: 'CAST(?? AS TEXT) AS ??', bindings: ['created_at', '__mg_key_0'] }]);
  });

  describe('property, on an in-memory SQLite table', () => {
    let knex: Knex;
    beforeAll(async () => {
      knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
      await knex.schema.createTable('t', (t) => {
        t.integer('id').primary();
        t.integer('a');
        t.text('b');
      });
    });
    afterAll(() => knex.destroy());

    const term = (column: string) => fc.record({ column: fc.constant(column), dir: fc.constantFrom<'asc' | 'desc'>('asc', 'desc'), nulls: fc.constantFrom<'first' | 'last'>('first', 'last') });
    const rows = fc.uniqueArray(fc.record({ id: fc.integer({ min: 1, max: 60 }), a: fc.option(fc.integer({ min: 0, max: 3 })), b: fc.option(fc.constantFrom('x', 'y')) }), {
      selector: (r) => r.id,
      minLength: 1,
      maxLength: 25,
    });

    it('rows after a row key are exactly the rows that sort after it', async () => {
      await fc.assert(
        fc.asyncProperty(rows, term('a'), term('b'), fc.boolean(), fc.constantFrom<'asc' | 'desc'>('asc', 'desc'), async (data, ta, tb, both, pkDir) => {
          await knex('t').delete();
          await knex('t').insert(data);
          const order: KeyTerm[] = [...(both ? [ta, tb] : [ta]), { column: 'id', dir: pkDir, nulls: 'last' }];
          const q = knex('t').select('id', 'a', 'b');
          for (const o of order) q.orderByRaw(`?? ${o.dir} NULLS ${o.nulls}`, [o.column]);
          const sorted = (await q) as Record<string, KeyValue>[];
          for (let i = 0; i < sorted.length; i++) {
            const key = order.map((o) => sorted[i][o.column]);
            const cond = toCondition(afterKey(order, key));
            const after = knex('t').select('id').whereRaw(cond.sql, cond.bindings);
            for (const o of order) after.orderByRaw(`?? ${o.dir} NULLS ${o.nulls}`, [o.column]);
            expect((await after).map((r: { id: number }) => r.id)).toEqual(sorted.slice(i + 1).map((r) => r.id));
          }
        }),
        { numRuns: 60 },
      );
    });
  });
});
