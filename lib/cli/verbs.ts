/** Every verb of the CLI, in the order `--help` lists them. Other features add theirs here (one file a verb). */
import { advisoriesVerb } from './advisories';
import { currentVerb } from './current';
import { exportVerb } from './export';
import { historyVerb } from './history';
import { keysVerb } from './keys';
import { purgeVerb } from './purge';
import { recordVerb } from './record';
import type { Verb } from './verb';
import { webhooksVerb } from './webhooks';

export const VERBS: readonly Verb[] = [recordVerb, historyVerb, currentVerb, exportVerb, purgeVerb, advisoriesVerb, keysVerb, webhooksVerb];
