// Validates an OpenAPI document (a JSON file given as argv[2]) with @seriousme/openapi-schema-validator,
// which is ESM-only (jest runs CommonJS): prints { valid, version, errors } as JSON.
import { Validator } from '@seriousme/openapi-schema-validator';
import { readFileSync } from 'node:fs';

const validator = new Validator();
const result = await validator.validate(JSON.parse(readFileSync(process.argv[2], 'utf8')));
process.stdout.write(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? null }));
