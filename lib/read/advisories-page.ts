/**
 * The Advisories page, `{historyPath}/advisories`: paste an advisory (OSV JSON, or a purl and a range) or
 * upload a `.json` file, and see the targets running an affected version now, and what could not be
 * evaluated. A plain HTML form (urlencoded or multipart): no JavaScript. Every value is escaped; the page is
 * sent with a Content-Security-Policy that allows no script at all.
 */
import bodyParser from 'body-parser';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { DeploymentError } from '../http/errors';
import type { AdvisoryAnswer } from '../advisories/match';
import { answerAdvisories, type AdvisoryContext } from './advisories';
import { principalOf } from './authorize';
import { displayDate, escapeHtml } from './history-page';

export interface AdvisoriesPageModel {
  path: string;
  apiPath: string;
  key?: string;
  /** The text the form held (shown again). */
  text: string;
  purl: string;
  range: string;
  answer?: AdvisoryAnswer;
  error?: string;
}

export function renderAdvisoriesPage(m: AdvisoriesPageModel): string {
  const out: string[] = [];
  out.push('<!doctype html>', '<html lang="en"><head><meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push('<title>Advisories · which servers are vulnerable?</title>');
  out.push('<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}th{background:#f4f4f4}textarea{width:100%;min-height:12rem;font:12px/1.3 monospace}fieldset{margin:1rem 0}.error{background:#fee;border:1px solid #c00;padding:.5rem;white-space:pre-wrap}.none{color:#060}</style>');
  out.push('</head><body>');
  out.push('<h1>Which servers are vulnerable?</h1>');
  out.push('<p>Paste advisories in the OSV format (as the GitHub Advisory Database and osv.dev publish them: one, an array, or <code>{"vulns": [...]}</code>), upload a <code>.json</code> file, or give a package URL and a range. The answer lists every target where an affected version is running now.</p>');
  if (m.error) out.push(`<p class="error" role="alert">${escapeHtml(m.error)}</p>`);
  out.push(`<form method="post" action="${escapeHtml(m.path)}" enctype="multipart/form-data" aria-label="Advisories">`);
  if (m.key) out.push(`<input type="hidden" name="key" value="${escapeHtml(m.key)}">`);
  out.push(`<fieldset><legend>OSV advisories</legend><label for="advisory">Paste JSON</label><textarea id="advisory" name="advisory">${escapeHtml(m.text)}</textarea>`);
  out.push('<p><label>or upload a file <input type="file" name="file" accept=".json,application/json"></label></p></fieldset>');
  out.push(`<fieldset><legend>Or a package URL and a range</legend><label>purl <input type="text" name="purl" value="${escapeHtml(m.purl)}" placeholder="pkg:nuget/Newtonsoft.Json"></label> <label>range <input type="text" name="range" value="${escapeHtml(m.range)}" placeholder="vers:nuget/&lt;13.0.1"></label></fieldset>`);
  out.push('<button type="submit">Find affected targets</button></form>');
  if (m.answer) {
    const { matches, reports } = m.answer;
    out.push(`<h2 id="affected-heading">Affected targets (${matches.length})</h2>`);
    if (matches.length === 0) out.push('<p class="none">No target you may read runs an affected version now.</p>');
    else {
      out.push('<table id="affected" aria-labelledby="affected-heading"><thead><tr><th>Advisory</th><th>Aliases</th><th>Feed</th><th>Package</th><th>Version</th><th>Target</th><th>Since</th><th>User</th><th>Application</th><th>Fixed in</th></tr></thead><tbody>');
      for (const x of matches) {
        const pkg = `${x.group ? `${x.group}/` : ''}${x.package}`;
        out.push(`<tr><td class="advisory">${escapeHtml(x.advisory)}</td><td>${escapeHtml(x.aliases.join(', '))}</td><td>${escapeHtml(x.feed)}</td><td class="package">${escapeHtml(pkg)}</td><td class="version">${escapeHtml(x.version)}</td><td class="target">${escapeHtml(x.target)}</td><td><time datetime="${escapeHtml(x.since.toISOString())}">${escapeHtml(displayDate(x.since))}</time></td><td>${escapeHtml(x.user)}</td><td>${escapeHtml(x.application)}</td><td class="fixed">${escapeHtml(x.fixed ?? '')}</td></tr>`);
      }
      out.push('</tbody></table>');
    }
    if (reports.length > 0) {
      out.push(`<h2 id="reports-heading">Not evaluated (${reports.length})</h2><ul id="reports">`);
      for (const r of reports) out.push(`<li><strong>${escapeHtml(r.advisory)}</strong> <code>${escapeHtml(r.path)}</code>${r.feed ? ` (feed ${escapeHtml(r.feed)})` : ''}: ${escapeHtml(r.problem)}</li>`);
      out.push('</ul>');
    }
  }
  out.push(`<p>The same as an API: <code>POST ${escapeHtml(m.apiPath)}</code> with the JSON (<code>?format=csv</code> or <code>ndjson</code> for exports).</p>`);
  out.push('</body></html>');
  return out.join('\n');
}

/** A multipart/form-data body's fields (text, and each file's text), for this page's small form. */
export function parseMultipart(body: Buffer, contentType: string): Map<string, string> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) throw new DeploymentError(400, 'malformed_body', 'The form has no multipart boundary.');
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const fields = new Map<string, string>();
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // after CRLF, before CRLF
    const split = part.indexOf('\r\n\r\n');
    if (split >= 0) {
      const headers = part.subarray(0, split).toString('utf8');
      const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers)?.[1];
      if (name !== undefined && !fields.has(name)) fields.set(name, part.subarray(split + 4).toString('utf8'));
    }
    at = next;
  }
  return fields;
}

/** The handlers of `GET` and `POST {historyPath}/advisories`. */
export function advisoriesPageHandlers(ctx: AdvisoryContext, apiPath: string, bodyLimit: number | string): { get: RequestHandler; post: RequestHandler[] } {
  const send = (req: Request, res: Response, status: number, m: Omit<AdvisoriesPageModel, 'path' | 'apiPath'>) => {
    res.status(status).type('text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
    res.send(renderAdvisoriesPage({ ...m, path: `${req.baseUrl}${req.path}`, apiPath: `${req.baseUrl}${apiPath}` }));
  };
  const get: RequestHandler = async (req, res, next) => {
    try {
      const key = typeof req.query.key === 'string' ? req.query.key : undefined;
      // Who may use the page: the read privilege on some feed (a refused caller gets the read API's 403).
      await principalOf(ctx, req);
      send(req, res, 200, { key, text: '', purl: '', range: '' });
    } catch (err) {
      next(err);
    }
  };
  const raw = bodyParser.raw({ type: (r) => /^multipart\/form-data\b/i.test(String((r as Request).headers['content-type'] ?? '')), limit: bodyLimit });
  const form = bodyParser.urlencoded({ extended: false, limit: bodyLimit, parameterLimit: 20 });
  const post = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      let fields: Map<string, string>;
      if (Buffer.isBuffer(req.body)) {
        fields = parseMultipart(req.body, String(req.headers['content-type']));
        // The key travels as a form field: let the credential reader find it there.
        req.body = fields.has('key') ? { key: fields.get('key') } : {};
      } else {
        fields = new Map(Object.entries((req.body ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string') as Array<[string, string]>);
      }
      const key = fields.get('key') || (typeof req.query.key === 'string' ? req.query.key : undefined);
      const text = (fields.get('advisory') ?? '').trim();
      const file = (fields.get('file') ?? '').trim();
      const purl = (fields.get('purl') ?? '').trim();
      const range = (fields.get('range') ?? '').trim();
      const model = { key, text: text || file, purl, range };
      const principal = await principalOf(ctx, req);
      let body: unknown;
      if (purl !== '' || range !== '') body = { purl, range };
      else {
        const json = text || file;
        if (json === '') return send(req, res, 400, { ...model, error: 'Paste an advisory, upload a file, or give a package URL and a range.' });
        try {
          body = JSON.parse(json);
        } catch (err) {
          return send(req, res, 400, { ...model, error: `The advisory is not valid JSON: ${(err as Error).message}` });
        }
      }
      try {
        const answer = await answerAdvisories(ctx, principal, body);
        send(req, res, 200, { ...model, answer });
      } catch (err) {
        if (!(err instanceof DeploymentError) || err.status !== 400) throw err;
        send(req, res, 400, { ...model, error: err.message });
      }
    } catch (err) {
      next(err);
    }
  };
  return { get, post: [raw, form, post] };
}
