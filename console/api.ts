// Calls to the gateway's API with the signed-in token: the console has no endpoint of its own, so
// it sees and may do exactly what the subject's grants allow. Refusals come back as the problem
// documents the API answers (RFC 9457), shown to the user as text.
import { token } from './session';

export interface Problem {
  status: number;
  code: string;
  title?: string;
  detail?: string;
  missing?: string;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.code}: ${problem.detail ?? problem.title ?? ''}`);
  }
}

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  if (!res.ok) {
    let problem: Problem = { status: res.status, code: 'http_error' };
    try {
      problem = { ...problem, ...(await res.json()) };
    } catch {
      // not a problem document: keep the status
    }
    throw new ApiError(problem);
  }
  return res;
}

export const get = async <T>(path: string): Promise<T> => (await call('GET', path)).json() as Promise<T>;
export const post = async <T>(path: string, body: unknown): Promise<T> => (await call('POST', path, body)).json() as Promise<T>;
export const del = async (path: string): Promise<void> => void (await call('DELETE', path));
export const blob = async (path: string): Promise<Blob> => (await call('GET', path)).blob();

/** A query string from the set values of a form (empty ones left out). */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
