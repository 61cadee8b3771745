import { createHash } from 'node:crypto';
import type { CachedImage, Variant } from './config.js';
import { PipelineError } from './errors.js';

/**
 * Container images cached in the AMI. Every reference ends up inside a PowerShell
 * script on the build instance, so the OCI/Docker reference grammar
 * (github.com/distribution/reference) is the only gate: it admits no whitespace,
 * quote, `;`, `$`, backtick, `|`, `&`, parenthesis or brace, so an accepted
 * reference cannot carry a PowerShell statement.
 */

export type ImageReference = {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
  /**
   * Fully qualified: `registry/repository[:tag][@digest]`, with `:latest` added when
   * neither tag nor digest is given (ctr refuses a reference without one).
   */
  canonical: string;
};

export class InvalidImageReferenceError extends PipelineError {
  constructor(
    readonly reference: string,
    readonly reason: string,
  ) {
    super(
      `invalid image reference ${quoteForMessage(reference)}: ${reason}. ` +
        'A valid reference is [registry[:port]/]repository[:tag][@sha256:<64 hex>] with a lowercase ' +
        'repository, e.g. mcr.microsoft.com/windows/servercore:ltsc2022 or ' +
        '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.4.0-ltsc2022',
    );
  }
}

const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_DEFAULT_REGISTRY = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

// The grammar of distribution/reference (regexp.go), transcribed. JS `\w` is ASCII-only
// without the `u` flag, as in Go's RE2, and `$` without `m` matches only at the end.
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^((?:${domainAndPort}/)?${remoteName})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`,
);
const ANCHORED_IDENTIFIER = /^[a-f0-9]{64}$/;
/** Algorithms the registry (go-digest) accepts, with their exact lowercase hex length. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** Longest reference worth running the grammar on: `index.docker.io/` (normalized shorter) + name + tag + sha512 digest. */
const INPUT_LENGTH_MAX = 6 + NAME_TOTAL_LENGTH_MAX + 1 + 128 + 1 + 7 + 128;

export function parseImageReference(ref: string): ImageReference {
  if (ref.length === 0) throw new InvalidImageReferenceError(ref, 'it is empty');
  if (ref.length > INPUT_LENGTH_MAX) {
    throw new InvalidImageReferenceError(ref, `it is ${ref.length} characters long, more than any valid reference (${INPUT_LENGTH_MAX})`);
  }
  if (ANCHORED_IDENTIFIER.test(ref)) {
    throw new InvalidImageReferenceError(ref, 'a bare 64-character hex string is an image id, not a reference');
  }
  const match = REFERENCE.exec(ref);
  if (!match) throw new InvalidImageReferenceError(ref, explainMismatch(ref));
  const name = match[1] ?? '';
  const tag = match[2];
  const digest = match[3];

  const { registry, repository } = splitRegistry(name);
  const normalizedName = `${registry}/${repository}`;
  if (normalizedName.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidImageReferenceError(
      ref,
      `the fully qualified name is ${normalizedName.length} characters long (at most ${NAME_TOTAL_LENGTH_MAX})`,
    );
  }
  if (digest !== undefined) checkDigest(ref, digest);

  const canonical =
    normalizedName +
    (tag !== undefined ? `:${tag}` : '') +
    (digest !== undefined ? `@${digest}` : '') +
    (tag === undefined && digest === undefined ? ':latest' : '');
  return {
    registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    canonical,
  };
}

/** distribution/reference's splitDockerDomain: what counts as a registry, and Docker Hub's `library/`. */
function splitRegistry(name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  let registry = DEFAULT_REGISTRY;
  let repository = name;
  if (slash !== -1) {
    const first = name.slice(0, slash);
    const rest = name.slice(slash + 1);
    if (first === LEGACY_DEFAULT_REGISTRY) {
      repository = rest;
    } else if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) {
      registry = first;
      repository = rest;
    }
  }
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) repository = OFFICIAL_PREFIX + repository;
  return { registry, repository };
}

function checkDigest(ref: string, digest: string): void {
  const [algorithm = '', hex = ''] = digest.split(':');
  const expected = DIGEST_HEX_LENGTH[algorithm];
  if (expected === undefined) {
    throw new InvalidImageReferenceError(ref, `digest algorithm "${algorithm}" is not supported (use sha256)`);
  }
  if (hex.length !== expected || !/^[a-f0-9]+$/.test(hex)) {
    throw new InvalidImageReferenceError(
      ref,
      `a ${algorithm} digest is ${expected} lowercase hex characters, this one has ${hex.length}`,
    );
  }
}

/** A hint for the common mistakes; the grammar has already said no. */
function explainMismatch(ref: string): string {
  if (/[^\x21-\x7e]/.test(ref)) return 'it contains whitespace, a control character or a non-ASCII character';
  if (/[^A-Za-z0-9._\-/:@[\]]/.test(ref)) {
    return 'it contains a character that no image reference may contain (only letters, digits, . _ - / : @ are allowed)';
  }
  const [withoutDigest = '', digest] = ref.split('@');
  const digestParts = digest === undefined ? undefined : /^(sha256|sha384|sha512):([0-9a-fA-F]*)$/.exec(digest);
  if (digestParts?.[1] && digestParts[2] !== undefined) {
    const expected = DIGEST_HEX_LENGTH[digestParts[1]] ?? 0;
    return `a ${digestParts[1]} digest is ${expected} lowercase hex characters, this one has ${digestParts[2].length}`;
  }
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  const tag = colon === -1 ? undefined : withoutDigest.slice(colon + 1);
  if (tag !== undefined && tag.length > 128) return `the tag is ${tag.length} characters long (at most 128)`;
  const repository = colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
  const path = repository.includes('/') ? repository.slice(repository.indexOf('/') + 1) : repository;
  if (path !== path.toLowerCase()) return 'the repository name must be lowercase';
  return 'it does not follow the image reference grammar';
}

function quoteForMessage(ref: string): string {
  const shown = ref.length > 120 ? `${ref.slice(0, 120)}…` : ref;
  return JSON.stringify(shown);
}

export type EcrRegistry = { accountId: string; region: string };

const ECR_REGISTRY = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/;

/** ECR registries need a token from the instance role: ctr ignores kubelet's credential provider. */
export function isEcrRegistry(registry: string): EcrRegistry | undefined {
  const match = ECR_REGISTRY.exec(registry.toLowerCase());
  if (!match?.[1] || !match[2]) return undefined;
  return { accountId: match[1], region: match[2] };
}

export type WindowsBuild = '10.0.17763' | '10.0.20348' | '10.0.26100';

const BUILD_OF_VARIANT: Record<Variant['windows'], WindowsBuild> = {
  '2019': '10.0.17763',
  '2022': '10.0.20348',
  '2025': '10.0.26100',
};

export function windowsBuildForVariant(windows: Variant['windows']): WindowsBuild {
  return BUILD_OF_VARIANT[windows];
}

// Names a tag may give a build by: the LTSC channel, the 2019 release id (1809), or the build number.
const BUILD_PATTERNS: ReadonlyArray<readonly [RegExp, WindowsBuild]> = [
  [/ltsc2019(?![0-9])|(?<![0-9])1809(?![0-9])|(?<![0-9])10\.0\.17763(?![0-9])/i, '10.0.17763'],
  [/ltsc2022(?![0-9])|(?<![0-9])10\.0\.20348(?![0-9])/i, '10.0.20348'],
  [/ltsc2025(?![0-9])|(?<![0-9])10\.0\.26100(?![0-9])/i, '10.0.26100'],
];

/** The Windows build a tag names, or undefined when it names none (or, ambiguously, several). */
export function windowsBuildOfTag(tag: string): WindowsBuild | undefined {
  const builds = BUILD_PATTERNS.filter(([pattern]) => pattern.test(tag)).map(([, build]) => build);
  return builds.length === 1 ? builds[0] : undefined;
}

/**
 * Windows containers run under process isolation only on the host build they were
 * built for: a 2019 image on a 2022 node fails at pod start, long after the AMI is
 * published. Judge each image by its tag before building; a manifest list
 * (`multiPlatform`) carries every build and ctr picks the host's.
 */
export function checkImagesForVariant(images: CachedImage[], variant: Variant): string[] {
  const hostBuild = windowsBuildForVariant(variant.windows);
  const problems: string[] = [];
  for (const image of images) {
    let parsed: ImageReference;
    try {
      parsed = parseImageReference(image.ref);
    } catch (error) {
      if (!(error instanceof InvalidImageReferenceError)) throw error;
      problems.push(error.message);
      continue;
    }
    if (image.multiPlatform) continue;
    // A declared `windows` (for tags like semver or digests that name no build) wins over the tag.
    const imageBuild = image.windows !== undefined ? windowsBuildForVariant(image.windows) : parsed.tag === undefined ? undefined : windowsBuildOfTag(parsed.tag);
    if (imageBuild === undefined) {
      problems.push(
        `image ${image.ref}: its Windows build cannot be judged (${parsed.tag !== undefined ? `tag "${parsed.tag}" names no Windows build` : parsed.digest !== undefined ? 'only a digest, no tag' : 'no tag'}); ` +
          `variant ${variant.id} runs Windows Server ${variant.windows} (${hostBuild}): ` +
          `use a tag that names the build (e.g. ltsc${variant.windows}), declare it with windows: "${variant.windows}" on the image, or set multiPlatform: true if the image is a manifest list`,
      );
    } else if (imageBuild !== hostBuild) {
      problems.push(
        `image ${image.ref} is built for Windows ${imageBuild} but variant ${variant.id} runs Windows Server ${variant.windows} (${hostBuild}), ` +
          `so it cannot run under process isolation: use the ltsc${variant.windows} tag, or set multiPlatform: true if the image is a manifest list`,
      );
    }
  }
  return problems;
}

/** Short, order-independent fingerprint of an image set (component versions, change detection). */
export function imagesDigest(refs: string[]): string {
  const canonical = [...new Set(refs.map((ref) => parseImageReference(ref).canonical))].sort();
  return createHash('sha256').update(canonical.join('\n')).digest('hex').slice(0, 16);
}
