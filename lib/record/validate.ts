/**
 * The standalone validator: no Express needed. One ajv schema, compiled once per set of limits and
 * cached, checks types, presence, emptiness, length and characters; dates and URLs are then parsed.
 */
import { splitScopedName } from './scoped-name';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import {
  ANONYMOUS,
  DEFAULT_LIMITS,
  FIELDS,
  isHttpUrl,
  parseDeploymentDate,
  pickFields,
  type FieldValues,
} from './deployment';
import { closestName, invalidOption, optionNames, OptionsError, readOptions } from '../options';
import type { DeploymentField, FieldLimits, NewDeployment, Problem, ValidateOptions, ValidationResult } from '../types';

/** Single-line fields: no control characters at all. */
const SINGLE_LINE = '^[^\\u0000-\\u001f\\u007f]*$';
/** Description: tabs and line breaks allowed, other control characters (NUL among them) not. */
const MULTI_LINE = '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$';

/**
 * The JSON Schema of a deployment as it is checked: PascalCase names, strings already trimmed, empty
 * optional fields already removed. `limits` overrides the default lengths.
 */
export function deploymentSchema(limits: Partial<FieldLimits> = {}): Record<string, unknown> {
  const resolved = resolveLimits(limits, 'deploymentSchema');
  const properties: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const limit = f.name === 'Date' ? 64 : resolved[f.name as keyof FieldLimits];
    properties[f.name] = {
      type: 'string',
      ...(f.required && !f.mayBeEmpty ? { minLength: 1 } : {}),
      maxLength: limit,
      pattern: f.multiline ? MULTI_LINE : SINGLE_LINE,
    };
  }
  return {
    $id: 'https://github.com/package-deployments/package-deployments/schemas/deployment.json',
    title: 'PackageDeployment',
    type: 'object',
    properties,
    required: FIELDS.filter((f) => f.required).map((f) => f.name),
  };
}

/** The schema with the default limits. */
export const DEPLOYMENT_SCHEMA: Readonly<Record<string, unknown>> = Object.freeze(deploymentSchema());

function resolveLimits(limits: Partial<FieldLimits>, factory = 'createValidator'): FieldLimits {
  if (!limits || typeof limits !== 'object' || Array.isArray(limits)) invalidOption(factory, 'limits', 'must be an object such as { Target: 100 }, or left out.');
  const resolved: FieldLimits = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(limits) as [keyof FieldLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_LIMITS, name)) {
      const closest = closestName(name, Object.keys(DEFAULT_LIMITS));
      throw new OptionsError(
        'unknown_option',
        factory,
        `${factory}: limits.${name} is not a field with a length limit.${closest ? ` Did you mean "${closest}"?` : ''} Use one of ${Object.keys(DEFAULT_LIMITS).join(', ')}.`,
        closest ? { option: `limits.${name}`, suggestion: closest } : { option: `limits.${name}` },
      );
    }
    if (!Number.isInteger(value) || value < 1 || value > DEFAULT_LIMITS[name]) {
      invalidOption(factory, `limits.${name}`, `must be a whole number from 1 to ${DEFAULT_LIMITS[name]} (the column width); got ${String(value)}.`);
    }
    resolved[name] = value;
  }
  return resolved;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when `text` holds no lone surrogate (String.prototype.isWellFormed where the runtime has it). */
const wellFormed: (text: string) => boolean = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
  ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
  : (text) => !LONE_SURROGATE.test(text);

const ajv = new Ajv({ allErrors: true, strict: true, unicodeRegExp: true });
const compiled = new Map<string, ValidateFunction>();

function compiledFor(limits: Partial<FieldLimits>, factory?: string): ValidateFunction {
  const key = JSON.stringify(resolveLimits(limits, factory));
  let fn = compiled.get(key);
  if (!fn) {
    const schema = deploymentSchema(limits);
    delete schema.$id;
    fn = ajv.compile(schema);
    compiled.set(key, fn);
  }
  return fn;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list (was the field sent more than once?)';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function ajvProblem(error: ErrorObject, data: Record<string, unknown>): Problem {
  if (error.keyword === 'required') {
    const field = (error.params as { missingProperty: string }).missingProperty;
    return { field, message: 'is required.', kind: 'missing' };
  }
  const field = error.instancePath.replace(/^\//, '') as DeploymentField;
  const value = data[field];
  switch (error.keyword) {
    case 'type':
      return { field, message: `must be a string, not ${describeType(value)}.`, kind: 'type' };
    case 'minLength':
      return { field, message: 'must not be empty.', kind: 'empty' };
    case 'maxLength':
      return {
        field,
        message: `must be at most ${(error.params as { limit: number }).limit} characters long (it has ${typeof value === 'string' ? value.length : '?'}).`,
        kind: 'too_long',
      };
    case 'pattern':
      return { field, message: 'must not contain control characters (such as NUL)' + (field === 'Description' ? ' other than tabs and line breaks.' : ' or line breaks.'), kind: 'control' };
    default:
      return { field, message: error.message ?? 'is invalid.', kind: 'invalid' };
  }
}

const VALIDATOR_OPTIONS = optionNames<Pick<ValidateOptions, 'limits'>>()('limits');
const VALIDATE_OPTIONS = optionNames<ValidateOptions>()('receivedAt', 'defaultUserName', 'limits');

/** Validates values already picked out under their exact names, adding to `problems` (those found while picking). */
function checkFields(check: ValidateFunction, values: FieldValues, problems: Problem[], callOptions: Omit<ValidateOptions, 'limits'>): ValidationResult {
  const data: Record<string, unknown> = Object.create(null);
  for (const f of FIELDS) {
    let value = values[f.name];
    if (value === undefined) continue;
    if (typeof value === 'string') value = value.trim();
    // An empty optional field is the same as an absent one (real clients send Url="").
    if (!f.required && value === '') continue;
    data[f.name] = value;
  }
  if (!check(data)) {
    for (const error of check.errors ?? []) problems.push(ajvProblem(error, data));
  }
  const hasProblem = (field: DeploymentField) => problems.length > 0 && problems.some((p) => p.field === field);
  // A lone UTF-16 surrogate (JSON "\ud800") cannot be stored as UTF-8: databases would keep U+FFFD
  // instead, silently altering the record. Refuse it.
  for (const f of FIELDS) {
    const value = data[f.name];
    if (typeof value === 'string' && !wellFormed(value) && !hasProblem(f.name)) {
      problems.push({ field: f.name, message: 'must be valid Unicode text (it holds an unpaired surrogate such as \\ud800).', kind: 'bad_unicode' });
    }
  }
  let date: Date | undefined;
  if (typeof data.Date === 'string' && !hasProblem('Date')) {
    date = parseDeploymentDate(data.Date);
    if (!date) {
      problems.push({ field: 'Date', message: 'must be an ISO 8601 date such as 2024-05-01T12:00:00Z (no offset means UTC).', kind: 'bad_date' });
    }
  }
  if (typeof data.Url === 'string' && !hasProblem('Url') && !isHttpUrl(data.Url)) {
    problems.push({ field: 'Url', message: 'must be an absolute http:// or https:// URL.', kind: 'bad_url' });
  }
  if (problems.length > 0) {
    const order = new Map(FIELDS.map((f, i) => [f.name as string, i]));
    problems.sort((a, b) => (order.get(a.field ?? '') ?? -1) - (order.get(b.field ?? '') ?? -1));
    return { ok: false, problems };
  }
  const receivedAt = callOptions.receivedAt ?? new Date();
  const deployment: NewDeployment = {
    application: data.Application as string,
    description: data.Description as string,
    target: data.Target as string,
    feedName: data.FeedName as string,
    packageName: data.PackageName as string,
    version: data.Version as string,
    userName: (data.UserName as string | undefined) ?? callOptions.defaultUserName ?? ANONYMOUS,
    date: date ?? receivedAt,
    receivedAt,
  };
  if (typeof data.GroupName === 'string') deployment.groupName = data.GroupName;
  // `@scope/name` is npm's spelling of group `@scope`, name `name`: stored the way downloads store it.
  if (deployment.packageName.startsWith('@')) Object.assign(deployment, splitScopedName(deployment.packageName, deployment.groupName));
  if (typeof data.Url === 'string') deployment.url = data.Url;
  return { ok: true, deployment };
}

/** The compiled schema for a validator's options, read once (the `limits` option, nothing else). */
function checkerFor(options: Pick<ValidateOptions, 'limits'> | undefined, factory: string): ValidateFunction {
  const { limits = {} } = readOptions(factory === 'createValidator' ? factory : `${factory}: createValidator`, options, VALIDATOR_OPTIONS, '{ limits: { Target: 100 } }');
  return compiledFor(limits, factory);
}

/**
 * Creates a validator with fixed options; the schema is compiled once, here. `validateDeployment` is
 * this with per-call options.
 */
export function createValidator(options?: Pick<ValidateOptions, 'limits'>, factory = 'createValidator') {
  const check = checkerFor(options, factory);
  return function validate(input: unknown, callOptions: Omit<ValidateOptions, 'limits'> = {}): ValidationResult {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      return { ok: false, problems: [{ message: `The deployment must be an object with named fields, not ${describeType(input)}.`, kind: 'type' }] };
    }
    const { values, problems } = pickFields(input);
    return checkFields(check, values, problems, callOptions);
  };
}

/**
 * The same checks on values already named exactly (the feed middleware's one pass over what the URL and
 * the headers say): no case-insensitive picking, so no field can be given twice. Internal.
 */
export function createFieldValidator(options?: Pick<ValidateOptions, 'limits'>, factory = 'createValidator') {
  const check = checkerFor(options, factory);
  return (values: FieldValues, callOptions: Omit<ValidateOptions, 'limits'> = {}): ValidationResult => checkFields(check, values, [], callOptions);
}

/** A validator made by {@link createFieldValidator}. */
export type FieldValidator = ReturnType<typeof createFieldValidator>;

/** A validator made by {@link createValidator}: options fixed, schema compiled. */
export type Validator = ReturnType<typeof createValidator>;

/**
 * Validates and normalises one deployment (an object with ProGet's fields, names matched
 * case-insensitively). Returns the record ready to store, or every problem, each naming its field.
 * Needs no Express.
 *
 * @example
 * const result = validateDeployment({ Application: 'Deployer', Description: '', Target: 'web-01',
 *   FeedName: 'DefaultNuGet', PackageName: 'Newtonsoft.Json', Version: '13.0.3' });
 * if (!result.ok) console.error(result.problems);
 */
export function validateDeployment(input: unknown, options?: ValidateOptions): ValidationResult {
  const { limits, ...rest } = readOptions('validateDeployment', options, VALIDATE_OPTIONS, '{ receivedAt: new Date(), defaultUserName: "ci" }');
  return createValidator(limits === undefined ? {} : { limits }, 'validateDeployment')(input, rest);
}
