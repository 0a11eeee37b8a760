// hyparquet-writer is published only as an ES module; this CommonJS build loads it with require(),
// which Node (20.19 and later) allows for ES modules without top-level await. Loaded on first use.
import type * as HyparquetWriter from 'hyparquet-writer' with { 'resolution-mode': 'import' };

export type ParquetSchemaElement = ConstructorParameters<typeof HyparquetWriter.ParquetWriter>[0]['schema'][number];

let loaded: typeof HyparquetWriter | undefined;

export function parquetModule(): typeof HyparquetWriter {
  loaded ??= require('hyparquet-writer') as typeof HyparquetWriter;
  return loaded;
}
