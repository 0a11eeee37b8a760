// A raw SQLite row (an array) becomes an object through a function made for its column list. Whatever
// the names (quotes, backslashes, line separators, names of Object.prototype's members, __proto__),
// the object must hold exactly those own properties, in order, and keep the plain prototype.
import { rowBuilder } from '../../src/stores/row-cursor';

const byAssignment = (names: string[], cells: unknown[]) => {
  const row: Record<string, unknown> = {};
  names.forEach((n, i) => Object.defineProperty(row, n, { value: cells[i], enumerable: true, writable: true, configurable: true }));
  return row;
};

describe('rowBuilder', () => {
  const cases: string[][] = [
    ['id', 'region', 'amount'],
    ['a"b', "c'd", 'e\\f', 'g\nh', 'i\u2028j', '`k${1}`', '}; throw 1; ({'],
    ['constructor', 'toString', 'hasOwnProperty', 'valueOf'],
    ['__proto__', 'id'],
    ['1', '0', 'x'],
    ['ünïcödé', '名前', '😀'],
  ];

  it.each(cases)('builds own properties for %j', (...names: string[]) => {
    const cells = names.map((_, i) => (i % 2 ? `v${i}` : i * 1.5));
    const row = rowBuilder(names)(cells);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row).sort()).toEqual([...names].sort());
    for (const [i, n] of names.entries()) expect(Object.getOwnPropertyDescriptor(row, n)?.value).toBe(cells[i]);
    expect(JSON.stringify(row)).toBe(JSON.stringify(byAssignment(names, cells)));
  });

  it('gives each row its own object', () => {
    const build = rowBuilder(['id', 'name']);
    const a = build([1, 'a']);
    const b = build([2, 'b']);
    expect(a).toEqual({ id: 1, name: 'a' });
    expect(b).toEqual({ id: 2, name: 'b' });
    expect(a).not.toBe(b);
  });
});
