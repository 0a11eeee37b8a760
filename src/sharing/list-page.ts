// The protocol's list pagination (maxResults, pageToken -> items, nextPageToken). A token is the
// position of the next item, opaque to clients; the lists are small and in a fixed order (by name).
import { fail } from '../errors';

/** The most items one page holds, whatever maxResults asks ("the server may return fewer"). */
export const MAX_PAGE = 500;

const tokenOf = (offset: number) => Buffer.from(`mgp1:${offset}`).toString('base64url');

function offsetOf(token: string): number {
  const m = /^mgp1:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m || tokenOf(Number(m[1])) !== token) throw fail('bad_request', 'pageToken is not one this server issued; start again without it', { parameter: 'pageToken' });
  return Number(m[1]);
}

export function listPage<T>(all: readonly T[], q: { maxResults?: string; pageToken?: string }): { items: T[]; nextPageToken?: string } {
  let max = MAX_PAGE;
  if (q.maxResults !== undefined) {
    if (!/^\d{1,10}$/.test(q.maxResults) || Number(q.maxResults) > 2 ** 31 - 1) throw fail('bad_request', 'maxResults must be a non-negative 32-bit integer', { parameter: 'maxResults' });
    max = Math.min(Number(q.maxResults), MAX_PAGE);
  }
  const start = q.pageToken === undefined || q.pageToken === '' ? 0 : offsetOf(q.pageToken);
  const items = all.slice(start, start + max);
  const next = start + items.length;
  return next < all.length ? { items, nextPageToken: tokenOf(next) } : { items };
}
