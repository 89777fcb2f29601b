/**
 * Telling a download delivered in full from one cut short. A streaming route
 * (`fs.createReadStream(f).pipe(res)`) writes its last bytes before it calls `end()`, and a client that
 * stops reading at `Content-Length` closes the connection in between: the response then closes without
 * `finish` although every byte was delivered.
 *
 * The bytes come from the connection, not from wrapping `res.write`/`res.end`: the socket's
 * `bytesWritten` when the middleware starts watching, and again when the response closes, less the
 * response head Node wrote. Wrapping both methods on every download cost measurable throughput (see
 * bench/README.md, "Feed middleware"), and it is the host's `res` we would be changing.
 */
import type { Response } from 'express';

/** The connection's byte count now, or `undefined` when the response has no socket (a host without one). */
export function socketBytes(res: Response): number | undefined {
  // A response is detached from its socket once finished; its request keeps it.
  const written = (res.socket ?? res.req?.socket)?.bytesWritten;
  return typeof written === 'number' ? written : undefined;
}

/**
 * True when a response that closed before `finish` had handed the client every byte its Content-Length
 * promised: `startBytes` is {@link socketBytes} when watching began (`undefined`: cannot tell, so no).
 */
export function deliveredInFull(res: Response, startBytes: number | undefined): boolean {
  if (startBytes === undefined || !res.headersSent) return false;
  const declared = Number(res.getHeader('content-length'));
  if (!Number.isSafeInteger(declared) || declared < 0) return false;
  const now = socketBytes(res);
  // The head Node sent (status line and headers, latin1): the rest of what the socket took is the body.
  const head = (res as unknown as { _header?: unknown })._header;
  if (now === undefined || typeof head !== 'string') return false;
  return now - startBytes - head.length >= declared;
}
