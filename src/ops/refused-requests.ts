import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.ts';

/**
 * Requests Node's HTTP parser refuses before the app sees them: most often a URL with raw UTF-8 in
 * it (`?fileName=会员.csv` as some curl versions and hand-written clients send it), also oversized
 * headers. Node answers a bare 400 and logs nothing; an operator then cannot tell why a till's
 * upload "fails". Each refusal is logged with the parser's reason, and the caller gets a JSON body
 * that says what to do.
 */
export function answerRefusedRequests(server: Server, logger: Logger) {
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    // A client that went away mid-request is not an error worth a line.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const requestLine = err.rawPacket?.subarray(0, 200).toString('latin1').split('\r\n')[0];
    logger.warn(
      { code: err.code, reason: err.message, remoteAddress: socket.remoteAddress, requestLine },
      'HTTP request refused before parsing finished',
    );
    const message = tooLarge
      ? 'Request headers too large'
      : 'Malformed HTTP request: percent-encode non-ASCII characters in the URL (e.g. curl --url-query or ' +
        '--data-urlencode)';
    const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST', reason: err.code } }] });
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\nContent-Length: ' +
        `${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
