/** The built-in download URL layouts, one file each. */
import type { FeedLayout } from '../../types';
import { helmLayout } from './helm';
import { mavenLayout } from './maven';
import { npmLayout } from './npm';
import { nugetV2Layout } from './nuget-v2';
import { nugetV3Layout } from './nuget-v3';
import { packagesApiLayout } from './packages-api';
import { pypiLayout } from './pypi';
import { upackLayout } from './upack';

export { upackLayout, packagesApiLayout, nugetV2Layout, nugetV3Layout, npmLayout, mavenLayout, pypiLayout, helmLayout };
export { routeParamsLayout } from './route-params';
export { customLayout } from './custom';

/** Every path layout at ProGet's URL prefixes: the middleware's default `layouts`. */
export function progetLayouts(): FeedLayout[] {
  return [upackLayout(), packagesApiLayout(), nugetV2Layout(), nugetV3Layout(), npmLayout(), mavenLayout(), pypiLayout(), helmLayout()];
}
