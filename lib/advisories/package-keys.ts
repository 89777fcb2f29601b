/**
 * Package keys: one spelling of a package's identity per ecosystem, so that an advisory's package name
 * finds a feed's records by index whatever their case or punctuation. Computed from the feed's version
 * scheme, which tells the ecosystem's naming rules:
 *
 * | scheme | key | example |
 * |---|---|---|
 * | `nuget` | the name, lower-cased (NuGet ids are case-insensitive) | `newtonsoft.json` |
 * | `pypi` | the PEP 503 normalised name (lower case, runs of `-_.` as `-`) | `zope-interface` |
 * | `maven` | `groupId:artifactId` | `org.apache.logging.log4j:log4j-core` |
 * | `semver` (npm) | `@scope/name`, or `name` | `@babel/core` |
 */

/** PEP 503: lower case, every run of `-`, `_` and `.` as one `-`. */
export const pep503 = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

/** The package key of a record (`group` is `''` when the record has none). */
export function packageKey(schemeName: string, group: string, name: string): string {
  switch (schemeName) {
    case 'nuget':
      return (group ? `${group}/${name}` : name).toLowerCase();
    case 'pypi':
      return group ? `${pep503(group)}/${pep503(name)}` : pep503(name);
    case 'maven':
      return group ? `${group}:${name}` : name;
    default:
      if (!group) return name;
      return group.startsWith('@') ? `${group}/${name}` : `@${group}/${name}`;
  }
}
