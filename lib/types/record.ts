/**
 * The record: wire fields, a validated deployment, a stored one, problems and field limits.
 */
/** The wire field names, in ProGet's PascalCase (matched case-insensitively on input). */
export type DeploymentField =
  | 'Application'
  | 'Description'
  | 'Target'
  | 'FeedName'
  | 'GroupName'
  | 'PackageName'
  | 'Version'
  | 'UserName'
  | 'Url'
  | 'Date';

/** A validated, normalised deployment that has not been stored yet. */
export interface NewDeployment {
  /** The application or tool doing the deployment (BuildMaster, Octopus Deploy, a script...). */
  application: string;
  /** A brief summary of the deployment. May be the empty string. */
  description: string;
  /** Where the package was installed, typically a server name. */
  target: string;
  feedName: string;
  /** Group, scope or namespace (npm scope, Maven groupId, UPack group). `undefined` when there is none. */
  groupName?: string;
  packageName: string;
  version: string;
  /** The user who deployed: the `UserName` field, else the authenticated principal, else `Anonymous`. */
  userName: string;
  /** An absolute http(s) URL with more information, or `undefined`. */
  url?: string;
  /** When the package was deployed (UTC). Defaults to `receivedAt`. */
  date: Date;
  /** When this library received the record (UTC). */
  receivedAt: Date;
  /**
   * The record's identity, at most 64 characters. A store keeps at most one record per `uid`: writing a
   * record whose `uid` is already stored (a retried batch, a retried request) stores nothing new and
   * answers the stored record. The router and the feed middleware set it when a record comes in (a
   * random UUID, or one derived from an `Idempotency-Key` or the duplicate rule); the knex store gives a
   * random one to a record without. Defaults to a random UUID.
   */
  uid?: string;
  /**
   * `true` for a removal record (this library's extension, not ProGet's): the package was removed from
   * the target. It stays in the history; "running now" no longer lists the package on that target.
   * Defaults to `false` (a deployment).
   */
  removed?: boolean;
}

/** A stored deployment. */
export interface DeploymentRecord extends NewDeployment {
  /** The store's id for the record, as a string (databases differ in integer widths). */
  id: string;
}

/** One problem with an input, naming the field it is about (`undefined` for the body as a whole). */
export interface Problem {
  field?: DeploymentField | string;
  message: string;
  /**
   * What is wrong, for programs (the message is for people): `missing`, `empty`, `too_long`, `control`
   * (control characters), `type` (not a string), `duplicate` (given twice), `bad_unicode`, `bad_date`,
   * `bad_url`, `invalid` (anything else). Set by the validator; `undefined` on problems from elsewhere.
   */
  kind?: ProblemKind;
}

/** The kinds of {@link Problem} the validator reports. */
export type ProblemKind = 'missing' | 'empty' | 'too_long' | 'control' | 'type' | 'duplicate' | 'bad_unicode' | 'bad_date' | 'bad_url' | 'invalid';

/** The maximum length, in characters, of each field. */
export interface FieldLimits {
  /** Defaults to 200. */ Application: number;
  /** Defaults to 4000. */ Description: number;
  /** Defaults to 200. */ Target: number;
  /** Defaults to 100. */ FeedName: number;
  /** Defaults to 200. */ GroupName: number;
  /** Defaults to 200. */ PackageName: number;
  /** Defaults to 100. */ Version: number;
  /** Defaults to 200. */ UserName: number;
  /** Defaults to 2000. */ Url: number;
}

export interface ValidateOptions {
  /** The time the record was received; the default `Date`. Defaults to `new Date()`. */
  receivedAt?: Date;
  /** `UserName` when the input has none. Defaults to `"Anonymous"`. */
  defaultUserName?: string;
  /**
   * Per-field length limits. Values here override the defaults; they may not exceed the defaults,
   * which are also the column widths of the knex store. Defaults to {@link FieldLimits}' defaults.
   */
  limits?: Partial<FieldLimits>;
}

export type ValidationResult =
  | { ok: true; deployment: NewDeployment; problems?: undefined }
  | { ok: false; deployment?: undefined; problems: Problem[] };
