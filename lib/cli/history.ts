/** `package-deployments history`: the records matching the filters, newest first. */
import { listHelp, runList } from './list';
import type { Verb } from './verb';

export const historyVerb: Verb = {
  name: 'history',
  summary: 'list deployments, newest first',
  help: () => listHelp('history', 'Lists deployment records matching the filters, newest first (GET /api/package-deployment).'),
  run: (argv, io) => runList(argv, io, false, historyVerb.help),
};
