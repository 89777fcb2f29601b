/** The events of the feed-download middleware, besides `deployed`, and the `res.locals` field it reads. */

/** Emitted with a {@link SkippedDeployment} for each download with deployment headers that is not recorded. */
export const SKIPPED_EVENT = 'deployment-skipped';
/** Emitted with {@link LostDeployments} for records the store would not take. */
export const LOST_EVENT = 'deployment-lost';
/** Emitted with a {@link DeploymentWarning} for a record made with a value replaced. */
export const WARNING_EVENT = 'deployment-warning';
/** The `res.locals` field a download route sets to say what it served ({@link ServedPackage}). */
export const SERVED_PACKAGE_LOCAL = 'servedPackage';
