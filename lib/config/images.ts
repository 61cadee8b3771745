import type { CachedImage, Variant } from '../config.js';
import { InvalidImageReferenceError, parseImageReference, windowsBuildForVariant, windowsBuildOfTag, type ImageReference } from '../images.js';

/**
 * The cached images, checked when the config is read: each entry once (a fleet-wide image is cached in every
 * variant's AMI, so one line names every variant it cannot run on). The plan checks them again (lib/images.ts).
 */
export interface ImageIssue {
  path: (string | number)[];
  message: string;
}

function checkEntry(image: CachedImage, path: (string | number)[], variants: readonly Variant[], where: string): ImageIssue[] {
  let parsed: ImageReference;
  try {
    parsed = parseImageReference(image.ref);
  } catch (error) {
    if (!(error instanceof InvalidImageReferenceError)) throw error;
    return [{ path: [...path, 'ref'], message: error.message }];
  }
  if (image.multiPlatform || variants.length === 0) return [];
  const tagBuild = parsed.tag === undefined ? undefined : windowsBuildOfTag(parsed.tag);
  const declared = image.windows === undefined ? undefined : windowsBuildForVariant(image.windows);
  if (declared !== undefined && tagBuild !== undefined && declared !== tagBuild)
    return [{ path: [...path, 'windows'], message: `the tag "${parsed.tag}" says Windows ${tagBuild} but windows: "${image.windows}" says ${declared}: remove windows (the tag says it) or fix the tag` }];
  const build = declared ?? tagBuild;
  if (build === undefined) {
    const why = parsed.tag !== undefined ? `tag "${parsed.tag}" names no Windows build` : parsed.digest !== undefined ? 'a digest names no Windows build' : 'no tag';
    const versions = [...new Set(variants.map((v) => v.windows))];
    return [
      {
        path: [...path, 'ref'],
        message: `the Windows build of ${image.ref} cannot be judged (${why}): declare the Windows Server version it is built for with windows: "${versions[0]}" on this image, use a tag that names it (e.g. ltsc${versions[0]}), or set multiPlatform: true if it is a manifest list`,
      },
    ];
  }
  const wrong = variants.filter((v) => windowsBuildForVariant(v.windows) !== build);
  if (!wrong.length) return [];
  return [
    {
      path: [...path, image.windows !== undefined ? 'windows' : 'ref'],
      message: `${image.ref} is built for Windows ${build}, so it cannot run under process isolation on ${wrong.map((v) => `variant ${v.id} (Windows Server ${v.windows}, ${windowsBuildForVariant(v.windows)})`).join(', ')}${where}: cache it only in the variants of its Windows version (variants[].images), use each variant's ltsc tag there, or set multiPlatform: true if it is a manifest list`,
    },
  ];
}

export function configImageIssues(config: { images: CachedImage[]; variants: Variant[] }): ImageIssue[] {
  return [
    ...config.images.flatMap((image, k) => checkEntry(image, ['images', k], config.variants, ' (images are cached in every variant)')),
    ...config.variants.flatMap((v, i) => v.images.flatMap((image, k) => checkEntry(image, ['variants', i, 'images', k], [v], ''))),
  ];
}
