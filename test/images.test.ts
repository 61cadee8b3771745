import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { CachedImage, Variant } from '../lib/config.js';
import { PipelineError } from '../lib/errors.js';
import {
  InvalidImageReferenceError,
  checkImagesForVariant,
  imagesDigest,
  isEcrRegistry,
  parseImageReference,
  windowsBuildForVariant,
  windowsBuildOfTag,
} from '../lib/images.js';

const SHA = 'a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';
const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

function variant(windows: Variant['windows'], id = `win${windows}-core-131`): Variant {
  return {
    id,
    windows,
    edition: 'Core',
    kubernetes: '1.31',
    nodeGroups: [{ asgName: 'eks-windows', canary: false }],
    images: [],
  };
}

function image(ref: string, multiPlatform = false): CachedImage {
  return { ref, multiPlatform };
}

describe('parseImageReference', () => {
  it.each([
    ['mcr.microsoft.com/windows/servercore:ltsc2022', 'mcr.microsoft.com', 'windows/servercore', 'ltsc2022', undefined, 'mcr.microsoft.com/windows/servercore:ltsc2022'],
    ['nginx', 'docker.io', 'library/nginx', undefined, undefined, 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io', 'library/nginx', '1.27', undefined, 'docker.io/library/nginx:1.27'],
    ['bitnami/redis:7', 'docker.io', 'bitnami/redis', '7', undefined, 'docker.io/bitnami/redis:7'],
    ['docker.io/nginx', 'docker.io', 'library/nginx', undefined, undefined, 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:1', 'docker.io', 'library/nginx', '1', undefined, 'docker.io/library/nginx:1'],
    ['localhost/app', 'localhost', 'app', undefined, undefined, 'localhost/app:latest'],
    ['localhost:5000/team/app:v1', 'localhost:5000', 'team/app', 'v1', undefined, 'localhost:5000/team/app:v1'],
    ['registry.example.com:5000/a__b/c--d/e.f_g:1.0_X-y', 'registry.example.com:5000', 'a__b/c--d/e.f_g', '1.0_X-y', undefined, 'registry.example.com:5000/a__b/c--d/e.f_g:1.0_X-y'],
    ['[::1]:5000/app:1', '[::1]:5000', 'app', '1', undefined, '[::1]:5000/app:1'],
    [`${ECR}/team/app@sha256:${SHA}`, ECR, 'team/app', undefined, `sha256:${SHA}`, `${ECR}/team/app@sha256:${SHA}`],
    [`mcr.microsoft.com/windows/nanoserver:ltsc2022@sha256:${SHA}`, 'mcr.microsoft.com', 'windows/nanoserver', 'ltsc2022', `sha256:${SHA}`, `mcr.microsoft.com/windows/nanoserver:ltsc2022@sha256:${SHA}`],
  ])('accepts %s', (ref, registry, repository, tag, digest, canonical) => {
    const parsed = parseImageReference(ref);

    expect(parsed).toEqual({
      registry,
      repository,
      ...(tag !== undefined ? { tag } : {}),
      ...(digest !== undefined ? { digest } : {}),
      canonical,
    });
  });

  it.each([
    ['', 'empty'],
    ['Ubuntu', 'uppercase single name'],
    ['docker.io/Library/nginx', 'uppercase repository'],
    ['nginx:', 'empty tag'],
    ['nginx:-bad', 'tag starting with a dash'],
    [`nginx:${'a'.repeat(129)}`, 'tag over 128 characters'],
    ['nginx:latest:2', 'two tags'],
    ['nginx@sha256:abc', 'short digest'],
    [`nginx@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    [`nginx@sha256:${SHA.toUpperCase()}`, 'uppercase digest hex'],
    [SHA, 'bare image id'],
    [`example.com/${'a'.repeat(250)}`, 'name over 255 characters'],
    [`${'a'.repeat(250)}`, 'Docker Hub name over 255 characters once qualified'],
    ['https://mcr.microsoft.com/windows/servercore', 'URL scheme'],
    ['mcr.microsoft.com//windows', 'empty path component'],
    ['-host.example.com/app', 'domain starting with a dash'],
    ['host-.example.com/app', 'domain component ending with a dash'],
    ['repo_/app', 'trailing separator'],
    ['a..b', 'double dot'],
    ['a/b:tag/c', 'slash after the tag'],
    [' nginx', 'leading space'],
    ['nginx ', 'trailing space'],
    ['nginx\n', 'trailing newline'],
    ['nginx:1\r\nRemove-Item C:\\', 'CRLF and a second statement'],
    ['nginx;Remove-Item -Recurse C:\\', 'semicolon'],
    ['nginx$(Invoke-Expression whoami)', 'subexpression'],
    ['nginx:`whoami`', 'backticks'],
    ["nginx:1'; Remove-Item C:\\ #", 'single quote'],
    ['nginx:1"', 'double quote'],
    ['nginx:1\u2019', 'curly quote'],
    ['a|b', 'pipe'],
    ['a&b', 'ampersand'],
    ['x/(y)', 'parentheses'],
    ['x/{y}', 'braces'],
    ['x/<y>', 'angle brackets'],
    ['nginx#1', 'hash'],
    ['nginx\u00a0', 'non-breaking space'],
  ])('rejects %j (%s)', (ref) => {
    expect(() => parseImageReference(ref)).toThrow(InvalidImageReferenceError);
  });

  it('names the offending reference and shows what a valid one looks like', () => {
    const error = captureError(() => parseImageReference('nginx; Remove-Item C:\\'));

    expect(error).toBeInstanceOf(InvalidImageReferenceError);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error.name).toBe('InvalidImageReferenceError');
    expect(error.message).toContain('"nginx; Remove-Item C:\\\\"');
    expect(error.message).toContain('whitespace');
    expect(error.message).toContain('e.g. mcr.microsoft.com/windows/servercore:ltsc2022');
  });

  it('says why a near miss fails', () => {
    expect(captureError(() => parseImageReference('docker.io/Library/nginx')).message).toContain('lowercase');
    expect(captureError(() => parseImageReference(`nginx:${'a'.repeat(129)}`)).message).toContain('129 characters');
    expect(captureError(() => parseImageReference('nginx@sha256:abc')).message).toContain('64 lowercase hex');
  });

  const POWERSHELL_META = /[;$`'"|&(){}<>\s\u2018\u2019\u201a\u201b\u201c\u201d]/;
  const fragments = [
    'mcr.microsoft.com/', 'windows/servercore', ':ltsc2022', '@sha256:', SHA, 'a', 'B', '0', '-', '.', '_', '__',
    '/', ':', '@', '[', ']', '; Remove-Item -Recurse C:\\', ';', '$(whoami)', '$env:TEMP', '$', '`', '`n', "'", '"',
    '\u2019', '\n', '\r\n', '\t', ' ', '&', '&&', '|', '(', ')', '{', '}', '<', '>', '#', '\0', '\u00a0',
  ];
  const hostile = fc.oneof(
    fc.array(fc.constantFrom(...fragments), { maxLength: 12 }).map((parts) => parts.join('')),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
  );

  it('never accepts a string that could carry a PowerShell statement', () => {
    fc.assert(
      fc.property(hostile, (ref) => {
        let accepted: string;
        try {
          accepted = parseImageReference(ref).canonical;
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidImageReferenceError);
          return;
        }
        for (const text of [ref, accepted]) {
          expect(text).not.toMatch(POWERSHELL_META);
          expect(text).toMatch(/^[\x21-\x7e]+$/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  const chars = (alphabet: string, minLength: number, maxLength: number) =>
    fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });
  const lowerAlnum = chars('abcdefghijklmnopqrstuvwxyz0123456789', 1, 6);
  const pathComponent = fc
    .tuple(lowerAlnum, fc.array(fc.tuple(fc.constantFrom('.', '_', '__', '-', '--'), lowerAlnum), { maxLength: 2 }))
    .map(([head, rest]) => head + rest.map(([sep, part]) => sep + part).join(''));
  const path = fc.array(pathComponent, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
  const alnumAny = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const domainComponent = fc.oneof(
    chars(alnumAny, 1, 1),
    fc.tuple(chars(alnumAny, 1, 1), chars(`${alnumAny}-`, 0, 6), chars(alnumAny, 1, 1)).map((p) => p.join('')),
  );
  const port = fc.option(fc.integer({ min: 1, max: 65535 }).map((p) => `:${p}`), { nil: '' });
  const domain = fc.oneof(
    fc.tuple(fc.array(domainComponent, { minLength: 2, maxLength: 4 }), port).map(([c, p]) => c.join('.') + p),
    fc.tuple(fc.constant('localhost'), port).map(([h, p]) => h + p),
    fc.tuple(fc.constantFrom('[::1]', '[fe80::1]'), port).map(([h, p]) => h + p),
    fc.constantFrom(ECR, 'mcr.microsoft.com', 'docker.io', 'index.docker.io'),
  );
  const tag = fc
    .tuple(chars(`${alnumAny}_`, 1, 1), chars(`${alnumAny}_.-`, 0, 40))
    .map(([first, rest]) => first + rest);
  const digest = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }).map((h) => `sha256:${h}`);
  const validReference = fc
    .record({
      domain: fc.option(domain, { nil: undefined }),
      path,
      tag: fc.option(tag, { nil: undefined }),
      digest: fc.option(digest, { nil: undefined }),
    })
    .map(
      (r) =>
        (r.domain !== undefined ? `${r.domain}/` : '') +
        r.path +
        (r.tag !== undefined ? `:${r.tag}` : '') +
        (r.digest !== undefined ? `@${r.digest}` : ''),
    );

  it('accepts every reference the grammar generates and round-trips its canonical form', () => {
    fc.assert(
      fc.property(validReference, (ref) => {
        const parsed = parseImageReference(ref);

        expect(parseImageReference(parsed.canonical)).toEqual({ ...parsed, ...(parsed.tag === undefined && parsed.digest === undefined ? { tag: 'latest' } : {}) });
        expect(parsed.canonical.startsWith(`${parsed.registry}/${parsed.repository}`)).toBe(true);
        if (parsed.tag !== undefined) expect(ref).toContain(`:${parsed.tag}`);
        if (parsed.digest !== undefined) expect(ref.endsWith(`@${parsed.digest}`)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects a valid reference with a PowerShell metacharacter spliced in anywhere', () => {
    const meta = fc.constantFrom(';', '$', '`', "'", '"', '|', '&', '(', ')', '{', '}', '<', '>', ' ', '\t', '\n', '\r', '\u2019');
    fc.assert(
      fc.property(validReference, meta, fc.nat(), (ref, char, at) => {
        const position = at % (ref.length + 1);
        const spliced = ref.slice(0, position) + char + ref.slice(position);

        expect(() => parseImageReference(spliced)).toThrow(InvalidImageReferenceError);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('isEcrRegistry', () => {
  it.each([
    [ECR, { accountId: '123456789012', region: 'us-east-1' }],
    ['210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn', { accountId: '210987654321', region: 'cn-north-1' }],
    ['123456789012.dkr.ecr.us-gov-west-1.amazonaws.com', { accountId: '123456789012', region: 'us-gov-west-1' }],
    ['123456789012.dkr.ecr-fips.us-east-2.amazonaws.com', { accountId: '123456789012', region: 'us-east-2' }],
  ])('recognises %s', (registry, expected) => {
    expect(isEcrRegistry(registry)).toEqual(expected);
  });

  it.each([
    'public.ecr.aws',
    'mcr.microsoft.com',
    'docker.io',
    '12345.dkr.ecr.us-east-1.amazonaws.com',
    `${ECR}.evil.example.com`,
    `evil.${ECR}`,
  ])('does not take %s for a private ECR registry', (registry) => {
    expect(isEcrRegistry(registry)).toBeUndefined();
  });
});

describe('Windows builds', () => {
  it.each([
    ['2019', '10.0.17763'],
    ['2022', '10.0.20348'],
    ['2025', '10.0.26100'],
  ] as const)('maps Windows Server %s to build %s', (windows, build) => {
    expect(windowsBuildForVariant(windows)).toBe(build);
  });

  it.each([
    ['ltsc2019', '10.0.17763'],
    ['1809', '10.0.17763'],
    ['10.0.17763.6414', '10.0.17763'],
    ['1.2.3-windows-ltsc2019-amd64', '10.0.17763'],
    ['servercore-ltsc2022', '10.0.20348'],
    ['ltsc2022', '10.0.20348'],
    ['10.0.20348.2762-amd64', '10.0.20348'],
    ['ltsc2025', '10.0.26100'],
    ['v2-10.0.26100', '10.0.26100'],
    ['LTSC2022', '10.0.20348'],
  ] as const)('reads %s as build %s', (tag, build) => {
    expect(windowsBuildOfTag(tag)).toBe(build);
  });

  it.each(['latest', '1.2.3', '18090', 'v21809', 'ltsc20221', 'ltsc2019-ltsc2022'])('reads no build from %s', (tag) => {
    expect(windowsBuildOfTag(tag)).toBeUndefined();
  });
});

describe('checkImagesForVariant', () => {
  it.each([
    ['2019', 'mcr.microsoft.com/windows/servercore:ltsc2019'],
    ['2022', 'mcr.microsoft.com/windows/servercore:ltsc2022'],
    ['2025', 'mcr.microsoft.com/windows/servercore:ltsc2025'],
  ] as const)('accepts a matching image on a %s variant', (windows, ref) => {
    expect(checkImagesForVariant([image(ref)], variant(windows))).toEqual([]);
  });

  it('refuses an ltsc2019 image on a 2022 variant, naming both builds and the fix', () => {
    const problems = checkImagesForVariant(
      [image(`${ECR}/team/app:1.2.3-windows-ltsc2019-amd64`)],
      variant('2022', 'win2022-core-131'),
    );

    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${ECR}/team/app:1.2.3-windows-ltsc2019-amd64`);
    expect(problems[0]).toContain('10.0.17763');
    expect(problems[0]).toContain('win2022-core-131');
    expect(problems[0]).toContain('10.0.20348');
    expect(problems[0]).toContain('ltsc2022');
    expect(problems[0]).toContain('multiPlatform: true');
  });

  it.each([
    ['2019', 'mcr.microsoft.com/windows/servercore:ltsc2022'],
    ['2022', 'mcr.microsoft.com/windows/servercore:ltsc2025'],
    ['2025', 'mcr.microsoft.com/windows/servercore:1809'],
  ] as const)('refuses a mismatched image on a %s variant', (windows, ref) => {
    expect(checkImagesForVariant([image(ref)], variant(windows))).toHaveLength(1);
  });

  it('skips the build check for a multi-platform manifest list', () => {
    const problems = checkImagesForVariant(
      [image('mcr.microsoft.com/oss/kubernetes/pause:3.10', true), image(`${ECR}/agent@sha256:${SHA}`, true)],
      variant('2022'),
    );

    expect(problems).toEqual([]);
  });

  it.each([
    ['an untagged', 'mcr.microsoft.com/oss/kubernetes/pause'],
    ['a digest-only', `${ECR}/agent@sha256:${SHA}`],
    ['a tag-without-build', 'mcr.microsoft.com/oss/kubernetes/pause:3.10'],
  ])('says the build of %s image cannot be judged', (_, ref) => {
    const problems = checkImagesForVariant([image(ref)], variant('2022'));

    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(ref);
    expect(problems[0]).toContain('cannot be judged');
    expect(problems[0]).toContain('multiPlatform: true');
  });

  it('reports an unparseable reference instead of throwing', () => {
    const problems = checkImagesForVariant([image('nginx; Remove-Item C:\\', true)], variant('2022'));

    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('invalid image reference');
  });

  it('reports one problem per bad image and none for good ones', () => {
    const problems = checkImagesForVariant(
      [
        image('mcr.microsoft.com/windows/servercore:ltsc2022'),
        image('mcr.microsoft.com/windows/nanoserver:ltsc2019'),
        image('Bad Ref'),
        image('mcr.microsoft.com/oss/kubernetes/pause:3.10', true),
      ],
      variant('2022'),
    );

    expect(problems).toHaveLength(2);
  });
});

describe('imagesDigest', () => {
  it('is 16 hex characters and ignores order, duplicates and familiar spellings', () => {
    const a = imagesDigest(['nginx', 'mcr.microsoft.com/windows/servercore:ltsc2022']);
    const b = imagesDigest([
      'mcr.microsoft.com/windows/servercore:ltsc2022',
      'docker.io/library/nginx:latest',
      'index.docker.io/nginx',
    ]);

    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toBe(a);
  });

  it('changes when the image set changes', () => {
    expect(imagesDigest(['nginx:1.27'])).not.toBe(imagesDigest(['nginx:1.28']));
    expect(imagesDigest([])).not.toBe(imagesDigest(['nginx']));
  });

  it('is a pure function of the set', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(['nginx', 'bitnami/redis:7', `${ECR}/app:1-ltsc2022`, 'mcr.microsoft.com/x:1']), (refs) => {
        expect(imagesDigest(refs)).toBe(imagesDigest([...refs].reverse()));
      }),
    );
  });
});

function captureError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected an error');
}
