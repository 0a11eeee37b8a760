// Load-time checks of the guardrails and unique keys a dataset declares, beyond what the zod schema
// can say: the columns they name exist and are numeric. Errors name the file and the path inside it.
import { ConfigError } from '../errors';
import type { ColumnDef, DatasetGuardrails } from '../policy/policy-schema';

export function checkDatasetGuardrails(
  at: string,
  d: { columns: Record<string, ColumnDef>; primaryKey: string; uniqueKeys?: string[][]; guardrails?: DatasetGuardrails },
): void {
  d.uniqueKeys?.forEach((key, i) => {
    const missing = key.find((c) => !d.columns[c]);
    if (missing) throw new ConfigError(`${at}.uniqueKeys.${i}: ${missing} is not a column`);
  });
  for (const column of Object.keys(d.guardrails?.columns ?? {})) {
    const def = d.columns[column];
    if (!def) throw new ConfigError(`${at}.guardrails.columns.${column}: not a column of the dataset`);
    if (def.type !== 'integer' && def.type !== 'decimal') {
      throw new ConfigError(`${at}.guardrails.columns.${column}: guardrails apply to integer or decimal columns; ${column} is ${def.type}`);
    }
    if (column === d.primaryKey) throw new ConfigError(`${at}.guardrails.columns.${column}: the primary key cannot be guarded`);
  }
}
