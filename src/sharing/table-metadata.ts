// The protocol's NDJSON lines for a shared table (PROTOCOL.md, API Response Format): protocol,
// metaData (a Spark StructType as schemaString, no partition columns) and file. Pure.
import type { AnswerColumn } from '../http/row-encoder';
import type { ColumnType } from '../policy/policy-schema';
import type { SnapshotFile } from './snapshot';
import type { ShareTable } from './share-types';

/** Spark SQL types of the Parquet the encoder writes (encoders/parquet.ts); masked columns are text. */
const SPARK: Record<ColumnType, string> = { integer: 'long', decimal: 'double', text: 'string', boolean: 'boolean', date: 'date', timestamp: 'timestamp' };

export const protocolLine = (): string => JSON.stringify({ protocol: { minReaderVersion: 1 } });

export function schemaString(columns: readonly AnswerColumn[], descriptions: (c: string) => string | undefined): string {
  return JSON.stringify({
    type: 'struct',
    fields: columns.map((c) => {
      const comment = descriptions(c.name);
      return { name: c.name, type: c.masked ? 'string' : SPARK[c.type], nullable: true, metadata: comment ? { comment } : {} };
    }),
  });
}

export function metaDataLine(table: ShareTable, columns: readonly AnswerColumn[], descriptions: (c: string) => string | undefined, description?: string): string {
  return JSON.stringify({
    metaData: {
      id: table.id,
      name: table.name,
      ...(description && { description }),
      format: { provider: 'parquet' },
      schemaString: schemaString(columns, descriptions),
      partitionColumns: [],
      configuration: {},
    },
  });
}

export function fileLine(file: SnapshotFile, url: string, expirationTimestamp: number): string {
  return JSON.stringify({
    file: {
      url,
      id: file.fileHash,
      partitionValues: {},
      size: file.size,
      stats: JSON.stringify({ numRecords: file.rows }),
      expirationTimestamp,
    },
  });
}
