/**
 * Telling a download delivered in full from one cut short. A streaming route
 * (`fs.createReadStream(f).pipe(res)`) writes its last bytes before it calls `end()`, and a client that
 * stops reading at `Content-Length` closes the connection in between: the response then closes without
 * `finish` although every byte was delivered. Counting the body bytes lets `close` tell the two apart.
 */
import type { Response } from 'express';

/**
 * Counts the body bytes the route hands to `res`. The wrappers pass every argument through and return
 * what the host's own `write`/`end` return.
 */
export function countBodyBytes(res: Response): () => number {
  let bytes = 0;
  const add = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
  };
  const write = res.write;
  const end = res.end;
  res.write = function (this: Response, chunk: unknown, ...rest: unknown[]) {
    add(chunk, rest[0]);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Response['write'];
  res.end = function (this: Response, chunk?: unknown, ...rest: unknown[]) {
    if (typeof chunk !== 'function') add(chunk, rest[0]);
    return (end as (...a: unknown[]) => Response).call(this, chunk, ...rest);
  } as Response['end'];
  return () => bytes;
}

/** True when a response that closed before `finish` had handed the client every byte its Content-Length promised. */
export function deliveredInFull(res: Response, written: number): boolean {
  if (!res.headersSent) return false;
  const declared = Number(res.getHeader('content-length'));
  return Number.isSafeInteger(declared) && declared >= 0 && written >= declared;
}
