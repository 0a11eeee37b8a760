// The PostgREST-style query grammar, as a pure function.
import { parseFilter, parseQuery, splitList } from '../../src/http/parse-query';
import { GatewayError } from '../../src/errors';

const COLS = ['id', 'region', 'amount', 'name'];
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as GatewayError).code;
  }
  return 'no error';
};

describe('parseQuery', () => {
  it('parses select, filters, order, limit and offset', () => {
    expect(parseQuery({ select: 'id, region', region: 'eq.EU', amount: ['gt.1', 'lt.5'], order: 'amount.desc.nullslast,id', limit: '5', offset: '10' }, COLS)).toEqual({
      select: ['id', 'region'],
      filters: [
        { column: 'region', op: 'eq', negated: false, value: 'EU' },
        { column: 'amount', op: 'gt', negated: false, value: '1' },
        { column: 'amount', op: 'lt', negated: false, value: '5' },
      ],
      order: [{ column: 'amount', dir: 'desc', nulls: 'last' }, { column: 'id', dir: 'asc' }],
      limit: 5,
      offset: 10,
      params: {},
    });
  });

  it('defaults limit to 100 and caps it at 10000', () => {
    expect(parseQuery({}, COLS)).toMatchObject({ limit: 100, offset: 0, filters: [], order: [] });
    expect(parseQuery({ limit: '10000' }, COLS).limit).toBe(10000);
    expect(codeOf(() => parseQuery({ limit: '10001' }, COLS))).toBe('bad_request');
  });

  it('refuses unknown parameters and repeated scalars', () => {
    expect(codeOf(() => parseQuery({ colour: 'eq.red' }, COLS))).toBe('unknown_parameter');
    expect(codeOf(() => parseQuery({ limit: ['1', '2'] }, COLS))).toBe('bad_request');
    expect(parseQuery({ dry_run: 'true' }, COLS, ['dry_run']).params).toEqual({ dry_run: 'true' });
  });
});

describe('parseFilter', () => {
  it.each([
    ['eq.EU', { op: 'eq', negated: false, value: 'EU' }],
    ['eq.a.b', { op: 'eq', negated: false, value: 'a.b' }],
    ['not.eq.EU', { op: 'eq', negated: true, value: 'EU' }],
    ['in.(EU,NA)', { op: 'in', negated: false, value: ['EU', 'NA'] }],
    ['in.("a,b",c)', { op: 'in', negated: false, value: ['a,b', 'c'] }],
    ['is.null', { op: 'is', negated: false, value: null }],
    ['not.is.null', { op: 'is', negated: true, value: null }],
    ['like.*x*', { op: 'like', negated: false, value: '*x*' }],
  ])('%s', (raw, expected) => {
    expect(parseFilter('region', raw)).toEqual({ column: 'region', ...expected });
  });

  it.each(['EU', 'between.1', 'in.EU', 'is.maybe', 'in.("open)'])('refuses %s', (raw) => {
    expect(codeOf(() => parseFilter('region', raw))).toBe('invalid_filter');
  });

  it('splits quoted lists', () => {
    expect(splitList('a,"b,c",d')).toEqual(['a', 'b,c', 'd']);
  });
});
