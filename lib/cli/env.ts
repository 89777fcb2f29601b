/**
 * Where the CLI finds the server and its credentials: the environment, never the command line (where
 * `ps` and shell history would keep them). Credentials are never printed.
 */
import { createDeploymentsClient, type DeploymentsClient } from '../client';
import { UsageError } from './errors';

export const ENV = Object.freeze({
  /** The server's base URL (where the router is mounted). */
  URL: 'PACKAGE_DEPLOYMENTS_URL',
  /** An API key, sent as X-ApiKey. */
  API_KEY: 'PACKAGE_DEPLOYMENTS_API_KEY',
  /** A host login token (Verdaccio's), sent as Bearer. */
  TOKEN: 'PACKAGE_DEPLOYMENTS_TOKEN',
  /** For `keys`: the database (an SQLite file, or a postgres:// or mysql:// URL). */
  DATABASE: 'PACKAGE_DEPLOYMENTS_DATABASE',
});

/** The client the environment describes; a usage error naming the variable when the URL is missing. */
export function clientFromEnv(env: NodeJS.ProcessEnv): DeploymentsClient {
  const url = env[ENV.URL];
  if (!url) throw new UsageError(`set ${ENV.URL} to the server's base URL (and ${ENV.API_KEY} to an API key).`);
  if (!/^https?:\/\//i.test(url)) throw new UsageError(`${ENV.URL} must be an http(s) URL.`);
  return createDeploymentsClient({ url, apiKey: env[ENV.API_KEY] || undefined, bearer: env[ENV.TOKEN] || undefined });
}

export const ENV_HELP = `Environment: ${ENV.URL} (required), ${ENV.API_KEY} or ${ENV.TOKEN} (credentials; never printed).`;
