// The one door through which rows leave the gateway. Reads a cursor a batch at a time and writes
// each batch to the socket with back-pressure, so memory is bounded by a batch, not by the answer.
// A JSON answer that fits in its first batch (most of them) is audited with its exact row count and
// sent in one write. A larger one is audited before its first byte (fail closed), streamed, and audited
// again when it ends (row count, bytes, duration, and how it ended); the final bytes leave only after
// that second entry is committed. Before each batch is written the caller's access is checked again,
// so a revoke (grant revoked or expired, subject suspended, token revoked) stops a stream within one
// batch. A revoke, the answer cap (MESHGUARD_MAX_RESPONSE_BYTES), a role's export row limit or a
// store failure ends a stream with the encoder's error and a cut connection; a client that goes away
// stops the read. Bulk formats (CSV, NDJSON, Arrow, Parquet) have no answer cap.
import type { Request, Response } from 'express';
import type { AppDeps } from '../app-deps';
import { fail, type GatewayError } from '../errors';
import type { ReadCursor } from '../stores/execute-read';
import { drainedOrClosed } from './drained-or-closed';
import { problemBody } from './problem';
import { ctx } from './request-context';
import { byteLengthOf, joinChunks, type Chunk, type RowEncoder } from './row-encoder';

/** Rows asked of the store per batch, and the characters of values after which a batch stops early. */
export const BATCH_ROWS = 1000;
export const BATCH_CHARS = 256 * 1024;

export type StreamOutcome = 'complete' | 'cap_reached' | 'export_limit_reached' | 'client_closed' | 'cut_by_revocation' | 'store_error' | 'audit_failed';

export interface SendRowsHooks {
  /** Records the allowed read before any byte leaves; `rowCount` is null when the answer streams. */
  allow(rowCount: number | null, details?: Record<string, unknown>): Promise<void>;
  /** Records how a streamed answer ended; awaited before its last bytes are sent. */
  ended(rowCount: number, details: Record<string, unknown>): Promise<void>;
  /** Whether the caller's access still holds, asked before each batch of a stream; the problem if not. */
  stillAllowed(): Promise<GatewayError | undefined>;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function tooLarge(cap: number): GatewayError {
  return fail('response_too_large', `the answer would be larger than this gateway's cap of ${cap} bytes (MESHGUARD_MAX_RESPONSE_BYTES); narrow it with select, filters or limit`, {
    limitBytes: cap,
  });
}

/** The most rows a bulk answer may hold (a role's `exportRowLimit`), and where that limit comes from. */
export interface RowLimit {
  rows: number;
  source: string;
}

function overRowLimit(limit: RowLimit): GatewayError {
  return fail('export_limit_exceeded', `the export would hold more than ${limit.rows} rows, the most ${limit.source} may export at once; narrow it with filters or limit`, {
    limitRows: limit.rows,
  });
}

export async function sendRows(deps: AppDeps, req: Request, res: Response, cursor: ReadCursor, encoder: RowEncoder, hooks: SendRowsHooks, rowLimit?: RowLimit): Promise<void> {
  const cap = encoder.bulk ? Infinity : deps.config.maxResponseBytes;
  const maxRows = rowLimit?.rows ?? Infinity;
  const startedAt = process.hrtime.bigint();
  let gone = false;
  const onClose = () => {
    if (!res.writableFinished) gone = true;
  };
  res.on('close', onClose);
  try {
    // The first batch, as text: read and encoded by a function of its own, so no frame of this one
    // holds its rows while the answer waits for its audit commit (only the text is needed then).
    const { text, count } = await firstBatch(encoder, cursor, rowLimit);
    // Bulk exports are always audited twice (before the first byte, and with what was sent); so is any
    // answer that does not fit in its first batch.
    if (cursor.done && !encoder.bulk) {
      if (byteLengthOf(text) > cap) throw tooLarge(cap);
      await hooks.allow(count);
      res.status(200).type(encoder.contentType).send(text);
      return;
    }
    await streamRest(deps, req, res, cursor, encoder, hooks, { text, rows: count, cap, maxRows, rowLimit, startedAt, gone: () => gone });
  } finally {
    res.off('close', onClose);
    await cursor.close();
  }
}

/** The first batch as text, and its row count: the whole answer when it is all there is, else the stream's start. */
async function firstBatch(encoder: RowEncoder, cursor: ReadCursor, rowLimit: RowLimit | undefined): Promise<{ text: Chunk; count: number }> {
  const first = await cursor.read(BATCH_ROWS, BATCH_CHARS);
  if (rowLimit && first.length > rowLimit.rows) throw overRowLimit(rowLimit);
  return { text: encodeFirst(encoder, cursor, first, cursor.done && !encoder.bulk), count: first.length };
}

function encodeFirst(encoder: RowEncoder, cursor: ReadCursor, first: Record<string, unknown>[], whole: boolean): Chunk {
  if (whole && encoder.answer) return encoder.answer(cursor.columns, first);
  let text = encoder.begin(cursor.columns);
  if (encoder.rows) text = joinChunks(text, encoder.rows(first, 0));
  else for (let i = 0; i < first.length; i++) text = joinChunks(text, encoder.row(first[i], i));
  if (encoder.flush) text = joinChunks(text, encoder.flush());
  return whole ? joinChunks(text, encoder.end()) : text;
}

async function streamRest(
  deps: AppDeps,
  req: Request,
  res: Response,
  cursor: ReadCursor,
  encoder: RowEncoder,
  hooks: SendRowsHooks,
  s: { text: Chunk; rows: number; cap: number; maxRows: number; rowLimit?: RowLimit; startedAt: bigint; gone: () => boolean },
): Promise<void> {
  if (byteLengthOf(s.text) > s.cap) throw tooLarge(s.cap);
  await hooks.allow(null, { streamed: true });
  res.status(200).type(encoder.contentType);
  res.setHeader('Cache-Control', 'no-store');
  let bytes = 0;
  let rows = s.rows;
  let outcome: StreamOutcome = 'complete';
  let problem: GatewayError | undefined;
  const write = async (chunk: Chunk) => {
    bytes += byteLengthOf(chunk);
    if (!res.write(chunk)) await drainedOrClosed(res);
  };
  await write(s.text);
  while (!cursor.done) {
    if (s.gone()) {
      outcome = 'client_closed';
      break;
    }
    await nextTurn(); // other requests run between batches, however large the answer
    let batch: Record<string, unknown>[];
    try {
      batch = await cursor.read(BATCH_ROWS, BATCH_CHARS);
    } catch (e) {
      deps.logger.error({ err: e, requestId: ctx(res).requestId }, 'store failed in the middle of a streamed read');
      outcome = 'store_error';
      problem = fail('store_unavailable', 'the data store failed in the middle of the answer; the answer is incomplete', {}, e);
      break;
    }
    // Asked after the read, just before the write: a batch leaves only if access held after it was read,
    // however long the store took or the previous write took to drain to a slow client.
    try {
      problem = await hooks.stillAllowed();
    } catch (e) {
      // Access that cannot be confirmed is not assumed: fail closed.
      deps.logger.error({ err: e, requestId: ctx(res).requestId }, 'state store failed while re-checking access in a streamed read');
      outcome = 'store_error';
      problem = fail('store_unavailable', 'the gateway state store did not answer while re-checking access; the answer is incomplete', {}, e);
      break;
    }
    if (problem) {
      outcome = 'cut_by_revocation';
      break;
    }
    let chunk: Chunk = '';
    let chunkBytes = 0;
    for (const row of batch) {
      if (rows >= s.maxRows) {
        outcome = 'export_limit_reached';
        problem = overRowLimit(s.rowLimit!);
        break;
      }
      const piece = encoder.row(row, rows);
      const n = byteLengthOf(piece);
      if (bytes + chunkBytes + n > s.cap) {
        outcome = 'cap_reached';
        problem = tooLarge(s.cap);
        break;
      }
      chunk = joinChunks(chunk, piece);
      chunkBytes += n;
      rows++;
    }
    if (encoder.flush) chunk = joinChunks(chunk, encoder.flush());
    if (chunk.length) await write(chunk);
    if (problem) break;
  }
  const durationMs = Math.round(Number(process.hrtime.bigint() - s.startedAt) / 1e6);
  const details = {
    streamed: true,
    outcome,
    bytes,
    durationMs,
    ...(problem && { code: problem.code }),
    ...(outcome === 'cut_by_revocation' && { because: problem!.extra.because }),
  };
  if (outcome === 'client_closed') {
    // Nobody is left to answer; the entry still says how far the read went.
    await hooks.ended(rows, details).catch((e) => deps.logger.error({ err: e, requestId: ctx(res).requestId }, 'audit of an abandoned read failed'));
    return;
  }
  try {
    await hooks.ended(rows, details);
  } catch (e) {
    deps.logger.error({ err: e, requestId: ctx(res).requestId }, 'audit of a streamed read failed: cutting the answer');
    res.destroy();
    return;
  }
  if (problem) {
    // Then cut, without the final chunk: an HTTP client reports the answer as incomplete.
    res.write(encoder.abort(problemBody(problem, req.originalUrl.split('?')[0], ctx(res).requestId)), () => res.destroy());
    return;
  }
  res.end(encoder.end());
}
