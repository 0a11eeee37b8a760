// nativeSql remembers knex's rendering per statement shape: on every dialect, first time and on a
// shape seen before with other values, its answer must be exactly knex's own.
import knexFactory, { type Knex } from 'knex';
import { NATIVE_SHAPES_MAX, nativeSql } from '../../src/stores/native-sql';

const clients: [string, Knex][] = [
  ['sqlite', knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true })],
  ['postgres', knexFactory({ client: 'pg' })],
  ['mysql', knexFactory({ client: 'mysql2' })],
];
afterAll(() => Promise.all(clients.map(([, k]) => k.destroy())));

const knexOwn = (knex: Knex, sql: string, bindings: Knex.RawBinding[]) => {
  const n = knex.raw(sql, bindings).toSQL().toNative();
  return { sql: n.sql, bindings: [...n.bindings] };
};
const ours = (knex: Knex, sql: string, bindings: Knex.RawBinding[]) => {
  const n = nativeSql(knex, sql, bindings);
  return { sql: n.sql, bindings: [...n.bindings] };
};

describe.each(clients)('nativeSql on %s', (_name, knex) => {
  const shapes: [string, Knex.RawBinding[], Knex.RawBinding[]][] = [
    ['SELECT ?? FROM ?? WHERE ?? = ? LIMIT ?', ['id', 'orders', 'region', 'EU', 50], ['id', 'orders', 'region', 'NA', 10]],
    ['SELECT ??, NULL AS ?? FROM ?? WHERE (?? >= ?) AND (?? IN (?, ?, ?))', ['a', 'b', 'public.orders', 'amount', 1.5, 'id', 1, 2, 3], ['a', 'b', 'public.orders', 'amount', -2, 'id', 7, 8, 9]],
    ['SELECT ?? FROM ?? WHERE ?? = ?', ['we"ird', 't`x', 'c', null], ['we"ird', 't`x', 'c', 'x']],
    ['SELECT CASE WHEN ?? = ? THEN 1 ELSE 0 END AS ?? FROM ?? WHERE ?? < ?', ['c', true, '__mg_vis_c', 't', 'ts', new Date(0)], ['c', false, '__mg_vis_c', 't', 'ts', new Date(1e12)]],
    ['SELECT 1 WHERE ? IS NULL', [Buffer.from('ab')], [Buffer.from('cd')]],
  ];

  it.each(shapes)('%s: knex rendering, first time and again with other values', (sql, first, again) => {
    expect(ours(knex, sql, first)).toEqual(knexOwn(knex, sql, first));
    expect(ours(knex, sql, again)).toEqual(knexOwn(knex, sql, again));
    expect(ours(knex, sql, first)).toEqual(knexOwn(knex, sql, first));
  });

  it('tells shapes apart by their identifiers', () => {
    const sql = 'SELECT ?? FROM ?? WHERE ?? = ?';
    expect(ours(knex, sql, ['a', 't', 'x', 1]).sql).toBe(knexOwn(knex, sql, ['a', 't', 'x', 1]).sql);
    expect(ours(knex, sql, ['b', 't', 'x', 1]).sql).toBe(knexOwn(knex, sql, ['b', 't', 'x', 1]).sql);
    expect(ours(knex, sql, ['a', 't', 'y', 1]).sql).toBe(knexOwn(knex, sql, ['a', 't', 'y', 1]).sql);
    // The same characters split differently between identifiers must not share a rendering.
    expect(ours(knex, sql, ['a","b', 't', 'x', 1]).sql).toBe(knexOwn(knex, sql, ['a","b', 't', 'x', 1]).sql);
  });

  it('leaves arrays, raws and mismatched counts to knex', () => {
    const sql = 'SELECT ?? FROM ?? WHERE ?? IN (?)';
    expect(ours(knex, sql, ['a', 't', 'id', [1, 2, 3]])).toEqual(knexOwn(knex, sql, ['a', 't', 'id', [1, 2, 3]]));
    expect(ours(knex, sql, ['a', 't', 'id', [4]])).toEqual(knexOwn(knex, sql, ['a', 't', 'id', [4]]));
    expect(ours(knex, sql, ['a', 't', 'id', knex.raw('?', [5])])).toEqual(knexOwn(knex, sql, ['a', 't', 'id', knex.raw('?', [5])]));
    expect(() => nativeSql(knex, 'SELECT ? , ?', [1])).toThrow(/bindings/);
    expect(() => nativeSql(knex, 'SELECT ?', [1, 2])).toThrow(/bindings/);
  });

  it('answers every shape right after more shapes than it keeps', () => {
    for (let n = 0; n < NATIVE_SHAPES_MAX + 20; n++) {
      const sql = `SELECT ?? FROM ?? WHERE ?? = ? LIMIT ${n}`;
      expect(ours(knex, sql, ['a', 't', 'x', n])).toEqual(knexOwn(knex, sql, ['a', 't', 'x', n]));
    }
    expect(ours(knex, 'SELECT ?? FROM ?? WHERE ?? = ? LIMIT 0', ['a', 't', 'x', 'z'])).toEqual(knexOwn(knex, 'SELECT ?? FROM ?? WHERE ?? = ? LIMIT 0', ['a', 't', 'x', 'z']));
  });
});
