/**
 * Maven repository files: `{base}/{group/as/path}/{artifactId}/{version}/{artifactId}-{version}[-classifier].{ext}`,
 * base defaulting to `/maven2/{feed}`. The group is recorded with dots (`org.apache.commons`). Checksums,
 * signatures and POMs (`skipExtensions`) are not deployments: a client fetching a jar fetches those too.
 * A SNAPSHOT file records its unique version (`1.0-20240501.120000-3`).
 */
import type { FeedLayout, MavenLayoutOptions } from '../../types';
import { invalidOption, optionNames, readOptions } from '../../options';
import { compilePrefix, pathSegments, ref } from './path';

const KNOWN_OPTIONS = optionNames<MavenLayoutOptions>()('prefix', 'feed', 'skipExtensions');

export const DEFAULT_MAVEN_SKIPPED_EXTENSIONS: readonly string[] = ['pom', 'md5', 'sha1', 'sha256', 'sha512', 'asc'];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function mavenLayout(options?: MavenLayoutOptions): FeedLayout {
  const { skipExtensions = DEFAULT_MAVEN_SKIPPED_EXTENSIONS, ...pathOptions } = readOptions('mavenLayout', options, KNOWN_OPTIONS, '{ prefix: "/maven2/:feed" }');
  if (!Array.isArray(skipExtensions) || skipExtensions.some((e) => typeof e !== 'string')) {
    invalidOption('mavenLayout', 'skipExtensions', "must be an array of file extensions such as ['pom', 'sha1'].");
  }
  const prefix = compilePrefix('mavenLayout', pathOptions, '/maven2/:feed');
  const skipped = new Set(skipExtensions.map((e) => e.replace(/^\./, '').toLowerCase()));
  return {
    feedType: 'maven',
    resolve(req) {
      const segments = pathSegments(req);
      const match = segments && prefix.match(segments);
      if (!match || match.rest.length < 4) return undefined;
      const rest = match.rest;
      const file = rest[rest.length - 1]!;
      const version = rest[rest.length - 2]!;
      const artifactId = rest[rest.length - 3]!;
      const group = rest.slice(0, -3).join('.');
      const extension = file.slice(file.lastIndexOf('.') + 1).toLowerCase();
      if (skipped.has(extension)) return undefined;
      // {artifactId}-{version}, then "-classifier" or ".ext".
      if (new RegExp(`^${escape(artifactId)}-${escape(version)}[-.]`).test(file)) return ref(match.feedName, artifactId, version, group);
      const snapshot = /^(.*)-SNAPSHOT$/.exec(version);
      if (snapshot) {
        const unique = new RegExp(`^${escape(artifactId)}-(${escape(snapshot[1]!)}-\\d{8}\\.\\d{6}-\\d+)[-.]`).exec(file);
        if (unique) return ref(match.feedName, artifactId, unique[1], group);
      }
      return undefined;
    },
  };
}
