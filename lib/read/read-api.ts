/**
 * The read API: `GET /api/package-deployment` (the history, newest first) and
 * `GET /api/package-deployment/current` (where a package is running now), as JSON pages with an opaque
 * cursor, or streamed as CSV or NDJSON. Query text → checked filters (400 naming the parameter) →
 * credentials → the auth adapter decides (`Feeds_ViewPackage` on the feed) → store → answer.
 */
import type { NextFunction, Request, Response } from 'express';
import { EXPORT_CONTENT_TYPES, toWire, writeRecords } from './export';
import { authorizeRead, principalOf } from './authorize';
import type { ReadContext } from './context';
import { countFrom, listFrom, startStream } from './from-store';
import { negotiateFormat, rawQuery, readParameters, toReadRequest } from './parameters';

export type { ReadContext } from './context';

/** The handler of `GET /api/package-deployment` (`current: false`) and `.../current` (`current: true`). */
export function readHandler(ctx: ReadContext, current: boolean) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const { values, problems } = readParameters(rawQuery(req));
      const request = toReadRequest(values, problems);
      if (current) request.query.current = true;
      const format = negotiateFormat(req, request.format);
      if (request.total && format !== 'json') problems.push({ field: 'total', message: 'is only given in JSON answers; leave it out for CSV and NDJSON.' });
      // Authenticate, authorize on the feed, resolve it; only then answer the parameters' problems.
      const principal = await principalOf(ctx, req);
      const query = await authorizeRead(ctx, principal, request, problems);

      if (format === 'json') {
        const [page, total] = await Promise.all([listFrom(ctx, query), request.total ? countFrom(ctx, query) : undefined]);
        res.status(200).json({ records: page.records.map(toWire), nextCursor: page.nextCursor ?? null, ...(total !== undefined ? { total } : {}) });
        return;
      }
      // An export: every record from the cursor on; `limit`, when given, caps it.
      const records = await startStream(ctx, { ...query, limit: undefined }, query.limit);
      res.status(200).setHeader('Content-Type', EXPORT_CONTENT_TYPES[format]);
      res.setHeader('Cache-Control', 'no-store');
      if (format === 'csv') {
        const name = `${query.packageName ?? 'package'}-${current ? 'running-now' : 'deployments'}.csv`.replace(/[^\w.-]+/g, '_');
        res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
      }
      if (req.method === 'HEAD') {
        // Headers only: do not run the whole export for nothing.
        await records[Symbol.asyncIterator]().return?.();
        res.end();
        return;
      }
      try {
        await writeRecords(records, res, format);
      } catch (err) {
        // The answer has started: all that can be done is to cut it short, so the client sees it broken.
        ctx.logger.error(`package-deployments: export failed part-way: ${err instanceof Error ? err.message : String(err)}`);
        res.destroy();
        return;
      }
      res.end();
    } catch (err) {
      next(err);
    }
  };
}
