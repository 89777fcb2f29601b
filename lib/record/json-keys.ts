/**
 * Finds keys given more than once on the root object of a JSON text. `JSON.parse` silently keeps the
 * last of two equal keys (`{"Target":"a","Target":"b"}` reads as `b`), so a duplicate must be found in
 * the text itself. Only the root object's keys are looked at; the text must already be valid JSON.
 */

/** The root object's keys of `text` (valid JSON), in order, duplicates included; `[]` for a non-object. */
export function rootKeys(text: string): string[] {
  const keys: string[] = [];
  let i = 0;
  const n = text.length;
  const skipSpace = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  // A string token starting at text[i] === '"'; returns its end (exclusive).
  const stringEnd = (start: number) => {
    let j = start + 1;
    while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  if (text.charCodeAt(0) === 0xfeff) i++;
  skipSpace();
  if (text[i] !== '{') return keys;
  i++;
  let depth = 1;
  let expectKey = true;
  while (i < n && depth > 0) {
    const c = text[i]!;
    if (c === '"') {
      const end = stringEnd(i);
      if (depth === 1 && expectKey) {
        keys.push(JSON.parse(text.slice(i, end)) as string);
        expectKey = false;
      }
      i = end;
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
    i++;
  }
  return keys;
}

/**
 * The keys of the root object of `text` that appear more than once, compared with `same` (for example
 * case-insensitively); each reported once, as first spelled.
 */
export function duplicateRootKeys(text: string, normalise: (key: string) => string | undefined = (k) => k): string[][] {
  const seen = new Map<string, string[]>();
  for (const key of rootKeys(text)) {
    const norm = normalise(key);
    if (norm === undefined) continue;
    const list = seen.get(norm);
    if (list) list.push(key);
    else seen.set(norm, [key]);
  }
  return [...seen.values()].filter((spellings) => spellings.length > 1);
}
