/**
 * npm writes a scoped package as one name, `@scope/name`; this library keeps the scope as the group
 * (`GroupName` `@scope`, `PackageName` `name`), as the npm download layout reads it from the URL. A
 * record, a read or a History page URL that names `@scope/name` as the package is read the same way, so
 * that the same package is never stored or looked up under two spellings.
 */

const SCOPED = /^(@[^/@\s]+)\/([^/@\s]+)$/;

/**
 * Splits `@scope/name` into group `@scope` and name `name`, when `groupName` is absent (or empty, or
 * already that scope). Any other name comes back unchanged.
 */
export function splitScopedName(packageName: string, groupName?: string): { groupName?: string; packageName: string } {
  const match = SCOPED.exec(packageName);
  if (match && (groupName === undefined || groupName === '' || groupName === match[1])) {
    return { groupName: match[1]!, packageName: match[2]! };
  }
  return groupName === undefined ? { packageName } : { groupName, packageName };
}
