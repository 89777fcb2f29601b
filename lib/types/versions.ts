/**
 * Version schemes and ranges.
 */
/** A version range as a scheme read it (see `parseVersionRange`). */
export interface VersionRange {
  /** The scheme that read the range ("semver", "nuget", "maven", "pypi"). */
  readonly scheme: string;
  /** The range as given. */
  readonly text: string;
  /** True when `version` is in the range; false when it is not, or when the scheme cannot read it. */
  test(version: string): boolean;
  /**
   * For the built-in schemes: the version-key intervals that hold every keyed version the range matches
   * (see "Version keys" in the README). A store may use them to select candidate rows by index; `test`
   * still decides. `undefined` for a scheme of your own.
   */
  readonly keys?: readonly KeyInterval[];
}

/**
 * An interval of version keys (plain data). A missing `from` or `to` leaves that side open. A version key
 * sorts, byte by byte, in its scheme's order (`versionKey()`).
 */
export interface KeyInterval {
  from?: string;
  fromInclusive?: boolean;
  to?: string;
  toInclusive?: boolean;
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
 * Which version scheme a feed uses: a scheme name (`"semver"`, `"npm"`, `"nuget"`, `"maven"`, `"pypi"`), a
 * feed type (`"nuget"`, `"npm"`, `"maven"`, `"pypi"`, `"upack"`, `"universal"`, `"helm"`), or a
 * {@link VersionScheme}.
 */
export type VersionSchemeSetting = string | VersionScheme;
