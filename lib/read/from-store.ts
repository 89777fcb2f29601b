/**
 * The read paths' store calls: a page, a count, or a stream (falling back to paging through `list` for
 * stores without `stream`/`count`); failures become 503 (unreachable) or 500 answers.
 */
import { storageError } from '../http/errors';
import { streamThroughList } from '../store/queries';
import type { ReadContext } from './context';
import type { DeploymentPage, DeploymentQuery, DeploymentRecord } from '../types';

/** Runs a store call, turning its failures into 503 (unreachable) or 500 answers. */
export async function fromStore<T>(ctx: ReadContext, run: () => Promise<T>): Promise<T> {
  try {
    await ctx.initStore();
    return await run();
  } catch (err) {
    throw storageError(err, ctx.retryAfterSeconds);
  }
}

export function listFrom(ctx: ReadContext, query: DeploymentQuery): Promise<DeploymentPage> {
  return fromStore(ctx, () => (query.current && ctx.store.current ? ctx.store.current(query as never) : ctx.store.list(query)));
}

export function streamFrom(ctx: ReadContext, query: DeploymentQuery): AsyncIterable<DeploymentRecord> {
  return ctx.store.stream ? ctx.store.stream(query) : streamThroughList((q) => ctx.store.list(q), query);
}

export async function countFrom(ctx: ReadContext, query: DeploymentQuery): Promise<number> {
  return fromStore(ctx, async () => {
    if (ctx.store.count) return ctx.store.count(query);
    let n = 0;
    for await (const _ of streamFrom(ctx, { ...query, cursor: undefined })) n++;
    return n;
  });
}

/** The first record is read before the answer starts, so a failing store still gets a proper status. */
export async function startStream(ctx: ReadContext, query: DeploymentQuery, cap: number | undefined): Promise<AsyncIterable<DeploymentRecord>> {
  const iterator = streamFrom(ctx, query)[Symbol.asyncIterator]();
  const first = await fromStore(ctx, () => iterator.next());
  return {
    [Symbol.asyncIterator]() {
      let pending: IteratorResult<DeploymentRecord> | undefined = first;
      let count = 0;
      return {
        async next() {
          if (cap !== undefined && count >= cap) {
            await iterator.return?.();
            return { done: true, value: undefined };
          }
          const result = pending ?? (await iterator.next());
          pending = undefined;
          if (!result.done) count++;
          return result;
        },
        async return() {
          await iterator.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

