// Requests Node's HTTP parser refuses before Express sees them (a request line or headers over the
// 16 KB limit, a malformed request): answered as problem+json with a stable code like every other
// error, instead of Node's bare status line. Nothing was parsed, so there is no one to audit.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { ERRORS, type ErrorCode } from '../errors';

const PARSER_ERRORS: Record<string, { code: ErrorCode; detail: string }> = {
  HPE_HEADER_OVERFLOW: { code: 'request_too_large', detail: 'the URL and headers together are larger than 16 KB; send fewer or shorter query parameters' },
};
const MALFORMED: { code: ErrorCode; detail: string } = { code: 'malformed_request', detail: 'the HTTP request could not be parsed' };

export function answerClientErrors(server: http.Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const p = (err.code && Object.hasOwn(PARSER_ERRORS, err.code) ? PARSER_ERRORS[err.code] : undefined) ?? MALFORMED;
    const { status, title } = ERRORS[p.code];
    const body = JSON.stringify({ type: `urn:meshguard:problem:${p.code}`, title, status, detail: p.detail, code: p.code });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
