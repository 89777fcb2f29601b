/**
 * Version schemes and ranges.
 */
/** A version range as a scheme read it (see `parseVersionRange`). */
export interface VersionRange {
  /** The scheme that read the range ("semver", "nuget", "maven"). */
  readonly scheme: string;
  /** The range as given. */
  readonly text: string;
  /** True when `version` is in the range; false when it is not, or when the scheme cannot read it. */
  test(version: string): boolean;
}

/** A version scheme: how versions are ordered and which ranges are read. */
export interface VersionScheme {
  readonly name: string;
  /** True when the scheme can read `version`. */
  isValid(version: string): boolean;
  /** Orders two versions; versions the scheme cannot read sort first, then by text. */
  compare(a: string, b: string): number;
  /** Reads a range into a test of versions; `undefined` when the scheme cannot read it. */
  parseRange(text: string): ((version: string) => boolean) | undefined;
}

/**
 * Which version scheme a feed uses: a scheme name (`"semver"`, `"npm"`, `"nuget"`, `"maven"`), a feed
 * type (`"nuget"`, `"npm"`, `"maven"`, `"upack"`, `"universal"`, `"helm"`), or a {@link VersionScheme}.
 */
export type VersionSchemeSetting = string | VersionScheme;
