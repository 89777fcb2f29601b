import type { Logger } from '../../lib';

/** The fields of the spec's PowerShell samples. */
export const SAMPLE = {
  FeedName: 'DefaultNuGet',
  Application: 'ProfitCalc',
  Description: 'Deployed by Custom Release Server',
  Target: 'localhost',
  PackageName: 'Newtonsoft.Json',
  Version: '12.0.3',
};

/** The first sample's body, byte for byte as Invoke-RestMethod sends it (not URL-encoded). */
export const POWERSHELL_FORM_BODY =
  'FeedName=DefaultNuGet&Application=ProfitCalc&Description=Deployed by Custom Release Server&Target=localhost&PackageName=Newtonsoft.Json&Version=12.0.3';

/** The second sample's body as Windows PowerShell's ConvertTo-Json writes a hashtable (CRLF, 4-space indent, any order). */
export const POWERSHELL_JSON_BODY = [
  '{',
  '    "Description":  "Deployed by Custom Release Server",',
  '    "Version":  "12.0.3",',
  '    "Application":  "ProfitCalc",',
  '    "PackageName":  "Newtonsoft.Json",',
  '    "FeedName":  "DefaultNuGet",',
  '    "Target":  "localhost"',
  '}',
].join('\r\n');

export const POWERSHELL_USER_AGENT = 'Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.3803';

/** A logger that keeps what it is told, for assertions. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
}
