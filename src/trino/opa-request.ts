// The body Trino's OPA access-control plugin POSTs, as its schema classes define it (trinodb/trino,
// plugin/trino-opa/src/main/java/io/trino/plugin/opa/schema/: OpaQuery, OpaQueryInput, OpaQueryContext,
// TrinoIdentity, OpaQueryInputAction, OpaQueryInputResource, TrinoSchema, TrinoTable, TrinoColumn):
//   {"input": {"context": {"identity": {"user", "groups"}, "softwareStack": {"trinoVersion"}, "queryId"?},
//              "action": {"operation", "resource"? | "filterResources"?, "targetResource"?, "grantee"?}}}
// Objects are loose (a newer Trino may add fields; this reads only the ones it decides on); Jackson
// writes absent optionals as null, so every optional field also takes null.
import { z } from 'zod';
import { MAX_SUBJECT } from '../grants/use-case';

const Name = z.string().min(1).max(255);

const NamedEntity = z.looseObject({ name: Name });
const TrinoSchema = z.looseObject({ catalogName: Name, schemaName: Name });
const TrinoTable = z.looseObject({ catalogName: Name, schemaName: Name, tableName: Name, columns: z.array(Name).max(10_000).nullish() });
const TrinoColumn = z.looseObject({ catalogName: Name, schemaName: Name, tableName: Name, columnName: Name, columnType: z.string().max(1000) });

export const OpaResource = z.looseObject({
  catalog: NamedEntity.nullish(),
  schema: TrinoSchema.nullish(),
  table: TrinoTable.nullish(),
  column: TrinoColumn.nullish(),
});

const Action = z
  .looseObject({
    // Operation names are Java-style words (SelectFromColumns); anything else is not Trino's.
    operation: z.string().regex(/^[A-Za-z]{1,48}$/, 'must be an operation name such as SelectFromColumns'),
    resource: OpaResource.nullish(),
    filterResources: z.array(OpaResource).max(100_000).nullish(),
    targetResource: OpaResource.nullish(),
  })
  .refine((a) => !(a.resource && a.filterResources), 'resource and filterResources cannot both be given');

const Context = z.looseObject({
  identity: z.looseObject({ user: z.string().min(1).max(MAX_SUBJECT), groups: z.array(z.string().max(255)).max(1000).nullish() }),
  softwareStack: z.looseObject({ trinoVersion: z.string().max(64) }).nullish(),
  queryId: z.string().max(128).nullish(),
});

export const OpaQuery = z.strictObject({ input: z.looseObject({ context: Context, action: Action }) });

export type OpaQuery = z.infer<typeof OpaQuery>;
export type OpaResource = z.infer<typeof OpaResource>;
