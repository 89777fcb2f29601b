/** `package-deployments current`: where a package is running now (each target's latest record). */
import { listHelp, runList } from './list';
import type { Verb } from './verb';

export const currentVerb: Verb = {
  name: 'current',
  summary: 'where a package is running now',
  help: () => listHelp('current', "Lists each target's latest deployment of a package (GET /api/package-deployment/current); needs --feed and --package."),
  run: (argv, io) => runList(argv, io, true, currentVerb.help),
};
