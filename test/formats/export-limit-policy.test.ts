// exportRowLimit in roles.yaml (issue 12): validated at load; the strictest limit among the roles of
// the grants that authorise a read applies (pure).
import { loadPolicies } from '../../src/policy/load-policies';
import { exportRowLimit } from '../../src/policy/export-limit';
import type { Grant } from '../../src/grants/grant-types';
import { usePolicyCopy } from '../helpers/policy-copy';

const grant = (id: string, role: string) => ({ id, role }) as Grant;

describe('exportRowLimit', () => {
  const copy = usePolicyCopy();

  it.each([[0], [-5], [1.5], ['many']])('refuses %p at load, naming the place', (bad) => {
    copy.edit('roles.yaml', (doc) => (doc.roles.analyst.exportRowLimit = bad));
    expect(copy.loadError()).toMatch(/roles\.yaml.*analyst.*exportRowLimit/);
  });

  it('takes the strictest of the authorising grants’ roles; roles that declare none add no limit', () => {
    copy.edit('roles.yaml', (doc) => {
      doc.roles.analyst.exportRowLimit = 5000;
      doc.roles.scientist.exportRowLimit = 200;
    });
    const p = loadPolicies(copy.dir);
    const grants = [grant('g1', 'analyst'), grant('g2', 'scientist'), grant('g3', 'steward')];
    expect(exportRowLimit(p, grants, ['g1', 'g2'])).toEqual({ rows: 200, source: 'role scientist' });
    expect(exportRowLimit(p, grants, ['g1', 'g3'])).toEqual({ rows: 5000, source: 'role analyst' });
    expect(exportRowLimit(p, grants, ['g3'])).toBeUndefined();
    expect(exportRowLimit(p, grants, [])).toBeUndefined();
  });
});
