/**
 * package-deployments/testing: the conformance suites the library's own adapters pass, for authors of a
 * custom DeploymentStore or AuthAdapter to run in their own jest.
 */
export { runDeploymentStoreSuite, sampleDeployment, type StoreSuiteOptions } from './store-suite';
export { runAuthAdapterSuite, type AuthSuiteFixture } from './auth-suite';
