/**
 * package-deployments/verdaccio: the Verdaccio 6 middleware plug-in. Verdaccio's loader constructs the
 * `default` export (a class), which is why this entry point, unlike the others, has one; everything is
 * also a named export.
 */
import { VerdaccioDeploymentsPlugin } from './plugin';

export { VerdaccioDeploymentsPlugin, VERDACCIO_PLUGIN_ID, type VerdaccioPluginOptions } from './plugin';
export { resolveVerdaccioConfig, VERDACCIO_CONFIG_KEYS, type VerdaccioPluginConfig, type VerdaccioApiKeyConfig, type VerdaccioGrant, type ResolvedVerdaccioConfig } from './config';
export { verdaccioPrincipal, type VerdaccioRemoteUser } from './principal';
export { verdaccioAuth, type VerdaccioAuthOptions } from './auth';
export default VerdaccioDeploymentsPlugin;
