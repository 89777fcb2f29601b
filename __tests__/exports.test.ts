/**
 * Only the documented surface is public: every runtime export is in the README's export table, and
 * every name in that table is exported.
 */
import * as lib from '../lib';
import { readmeBlock } from './helpers/demo';

const documented = readmeBlock('<!-- exports:start -->', '<!-- exports:end -->')
  .split('\n')
  .map((line) => /^\| `([A-Za-z_$][\w$]*)` \|/.exec(line)?.[1])
  .filter((name): name is string => name !== undefined);

describe('the public surface', () => {
  it('the README documents exactly the runtime exports', () => {
    expect(documented.length).toBeGreaterThan(40);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.keys(lib).sort());
  });

  it('internal helpers are not exported', () => {
    for (const name of ['createRecordingQueue', 'createGroupCommit', 'csvCell', 'escapeHtml', 'hostPrincipal', 'renderHistoryPage', 'extractCredentials', 'toWire', 'writeRecords', 'parsePurl', 'parseDeploymentDate', 'checkOptionKeys', 'readOptions']) {
      expect(Object.keys(lib)).not.toContain(name);
    }
  });
});
