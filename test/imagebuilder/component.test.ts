import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parse } from 'yaml';
import { PipelineError, PlanError } from '../../lib/errors.js';
import {
  COMPONENT_DATA_MAX_CHARS,
  CONTAINERD_CRI_ENDPOINT,
  ComponentTooLargeError,
  cacheComponentProblems,
  renderCacheComponent,
} from '../../lib/imagebuilder/component.js';
import { InvalidImageReferenceError, parseImageReference } from '../../lib/images.js';

const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const PUBLIC = ['mcr.microsoft.com/windows/servercore:ltsc2022', 'mcr.microsoft.com/windows/nanoserver:ltsc2022'];
const PRIVATE = `${ECR}/team/app:1.2.3-ltsc2022`;

type Step = { name: string; action: string; onFailure?: string; inputs: { commands: string[] } };
type Component = {
  name: string;
  description: string;
  schemaVersion: unknown;
  phases: { name: string; steps: Step[] }[];
};

function render(images: string[]): { yaml: string; doc: Component; build: string; test: string } {
  const yaml = renderCacheComponent({ images });
  const doc = parse(yaml) as Component;
  return { yaml, doc, build: script(doc, 'build'), test: script(doc, 'test') };
}

function script(doc: Component, phase: string): string {
  const steps = doc.phases.find((p) => p.name === phase)?.steps ?? [];
  return steps.flatMap((s) => s.inputs.commands).join('\n');
}

/** What `$images` holds once PowerShell has rebuilt it from the per-registry table. */
function imagesOf(ps: string): string[] {
  const table = /^\$byRegistry = \[ordered\]@\{(.*)\}$/m.exec(ps)?.[1] ?? '';
  return [...table.matchAll(/'([^']+)'=@\(([^)]*)\)/g)].flatMap(([, registry, list]) =>
    [...(list ?? '').matchAll(/'([^']+)'/g)].map(([, rest]) => `${registry}/${rest}`),
  );
}

describe('renderCacheComponent', () => {
  it('renders an AWSTOE document with build and test phases of PowerShell steps', () => {
    const { yaml, doc } = render(PUBLIC);

    expect(yaml).toMatch(/^schemaVersion: 1\.0$/m);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.name).toBe('cache-container-images');
    expect(doc.description).toContain('2 container images');
    expect(doc.phases.map((p) => p.name)).toEqual(['build', 'test']);
    for (const phase of doc.phases) {
      for (const step of phase.steps) {
        expect(step.action).toBe('ExecutePowerShell');
        expect(step.onFailure).toBe('Abort');
        expect(step.inputs.commands.length).toBeGreaterThan(0);
      }
    }
  });

  it("pulls into containerd's k8s.io namespace, never the default one", () => {
    const { build } = render(PUBLIC);

    expect(build).toContain('$ctr -n k8s.io images pull $Ref');
    expect(build.match(/images pull/g)).toHaveLength(1);
    expect(build).not.toMatch(/ctr(\.exe)?'?\s+images?\s+pull/);
    expect(build).not.toContain('docker');
  });

  it('pins every pulled image so kubelet image GC keeps it', () => {
    const { build } = render(PUBLIC);

    expect(build).toContain("$ctr -n k8s.io images label $Ref 'io.cri-containerd.pinned=pinned'");
    expect(build).toMatch(/foreach \(\$ref in \$images\) \{[\s\S]*Invoke-Pull \$ref[\s\S]*Invoke-Pin \$ref[\s\S]*\}/);
  });

  it('loops over the canonical, sorted, de-duplicated references in both phases', () => {
    const { build, test } = render(['nginx', ...PUBLIC, 'docker.io/library/nginx:latest', PRIVATE]);
    const expected = ['docker.io/library/nginx:latest', PRIVATE, ...PUBLIC].sort();

    expect(imagesOf(build)).toEqual(expected);
    expect(imagesOf(test)).toEqual(expected);
    expect(build).toContain('$images = @(foreach ($r in $byRegistry.Keys) { foreach ($p in $byRegistry[$r]) { "$r/$p" } })');
  });

  it('logs in to ECR with the instance role only when an ECR image is present', () => {
    const publicOnly = render(PUBLIC).build;
    const withEcr = render([...PUBLIC, PRIVATE, '210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/x:1-ltsc2022']).build;

    expect(publicOnly).not.toContain('ECR');
    expect(publicOnly).not.toContain('--user');
    expect(withEcr).toContain('if (Get-Command Get-ECRLoginCommand -ErrorAction SilentlyContinue) {');
    expect(withEcr).toContain('$passwords[$region] = (Get-ECRLoginCommand -Region $region).Password');
    expect(withEcr).toContain('aws ecr get-login-password --region $region');
    expect(withEcr).not.toContain('Get-ECRLoginPassword');
    expect(withEcr).toContain(`$ecrRegions = @{'${ECR}'='us-east-1';'210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn'='cn-north-1'}`);
    expect(withEcr).toContain("'--user'");
    expect(withEcr).toContain('"AWS:$($passwords[$region])"');
    expect(withEcr).toContain('$ctr -n k8s.io images pull @auth $Ref');
    expect(withEcr).not.toContain('docker login');
  });

  it('retries each pull with exponential backoff', () => {
    const { build } = render(PUBLIC);

    expect(build).toContain('if ($attempt -ge 5)');
    expect(build).toContain('$delay = 5 * [math]::Pow(2, $attempt)');
    expect(build).toContain('Start-Sleep -Seconds $delay');
  });

  it('checks free space on C: before each pull and names the free GB', () => {
    const defaultLimit = render(PUBLIC).build;
    const custom = renderCacheComponent({ images: PUBLIC, minFreeDiskGb: 50 });

    expect(defaultLimit).toContain('(Get-PSDrive C).Free / 1GB');
    expect(defaultLimit).toContain('if ($freeGb -lt 20) { throw "only $freeGb GB free on C:');
    expect(custom).toContain('if ($freeGb -lt 50)');
  });

  it('fails the step with exit 1 on any error in either phase', () => {
    const { build, test } = render(PUBLIC);

    for (const ps of [build, test]) {
      expect(ps.split('\n')[0]).toBe("$ErrorActionPreference = 'Stop'");
      expect(ps).toMatch(/trap \{ Write-Host "[^"]+: \$_"; exit 1 \}/);
    }
    expect(build).toContain('if ($LASTEXITCODE -ne 0) { throw "pulling $Ref failed');
    expect(build).toContain('if ($LASTEXITCODE -ne 0) { throw "pinning $Ref failed');
  });

  it('checks in the test phase that every image is listed and pinned, naming the missing ones', () => {
    const { test } = render([...PUBLIC, PRIVATE]);

    expect(test).toContain('$listing = & $ctr -n k8s.io images ls 2>$stderrFile');
    expect(test).toContain('$missing = @($images | Where-Object { -not $rows.ContainsKey($_) })');
    expect(test).toContain("-notlike '*io.cri-containerd.pinned=pinned*'");
    expect(test).toContain(`Write-Host "not in containerd's k8s.io namespace: $($missing -join ', ')"`);
    expect(test).toContain('if ($missing -or $unpinned) { exit 1 }');
    expect(test).not.toContain('images pull');
  });

  it('checks in the test phase that kubelet sees every image through CRI (crictl images)', () => {
    const { test } = render([...PUBLIC, PRIVATE]);

    expect(test).toContain('$unseen = @($images | Where-Object { $tags -notcontains $_ })');
    expect(test).toContain(`if ($unseen) { Write-Host "not visible to kubelet (crictl images): $($unseen -join ', ')"; exit 1 }`);
  });

  it("parses crictl's JSON from stdout only, so its stderr warnings never reach ConvertFrom-Json", () => {
    const { test } = render([...PUBLIC, PRIVATE]);
    const crictl = test.split('\n').find((line) => line.includes('$crictl.Source')) ?? '';

    expect(crictl).toMatch(/images -o json 2>\$stderrFile\) -join "`n"$/);
    expect(crictl).not.toContain('2>&1');
    expect(test).toContain("$stderrFile = Join-Path $env:TEMP 'cache-images-check.stderr'");
    expect(test).toContain('if ($code -ne 0) { throw "crictl images failed (exit $code): $(Get-Content -Raw $stderrFile)" }');
    expect(test).toContain('$tags = @((ConvertFrom-Json $cri).images');
    // Every listing the test phase parses is stdout only; 2>&1 is left to the build's error messages.
    expect(test).not.toContain('2>&1');
  });

  it("names containerd's Windows CRI pipe to crictl instead of letting it probe default endpoints", () => {
    const { test } = render(PUBLIC);

    expect(CONTAINERD_CRI_ENDPOINT).toBe('npipe:////./pipe/containerd-containerd');
    expect(test).toContain("& $crictl.Source --runtime-endpoint 'npipe:////./pipe/containerd-containerd' --image-endpoint 'npipe:////./pipe/containerd-containerd' images -o json");
  });

  it('puts references into the script only as single-quoted literals', () => {
    const { yaml } = render([...PUBLIC, PRIVATE]);

    for (const ref of [...PUBLIC, PRIVATE]) {
      const { registry } = parseImageReference(ref);
      const rest = ref.slice(registry.length + 1);
      expect(yaml).toContain(`'${registry}'=@(`);
      expect(yaml).toContain(`'${rest}'`);
    }
    expect(yaml).not.toContain('{{');
    expect(yaml).not.toContain('}}');
  });

  it('refuses references that fail the grammar, so nothing else reaches PowerShell', () => {
    for (const hostile of ["nginx'; Remove-Item -Recurse C:\\ #", 'nginx$(whoami)', 'nginx\nRemove-Item C:\\']) {
      expect(() => renderCacheComponent({ images: [...PUBLIC, hostile] })).toThrow(
        InvalidImageReferenceError,
      );
    }
  });

  it('refuses an empty image list: the recipe leaves the component out instead', () => {
    expect(() => renderCacheComponent({ images: [] })).toThrow(PlanError);
  });

  it('fits a hundred ECR images under the inline limit', () => {
    const images = Array.from({ length: 100 }, (_, i) => `${ECR}/platform/service-${i}:1.4.${i}-ltsc2022`);

    const yaml = renderCacheComponent({ images });

    expect(yaml.length).toBeLessThanOrEqual(COMPONENT_DATA_MAX_CHARS);
    expect(imagesOf(script(parse(yaml) as Component, 'test'))).toHaveLength(100);
  });

  it('refuses a component over 16,000 characters, naming the limit, the size and the fix', () => {
    const images = Array.from(
      { length: 400 },
      (_, i) => `${ECR}/team-${i}/${'windows-service-'.repeat(6)}${i}:2024.11.${i}-windowsservercore-ltsc2022`,
    );

    let error: unknown;
    try {
      renderCacheComponent({ images });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ComponentTooLargeError);
    expect(error).toBeInstanceOf(PipelineError);
    const tooLarge = error as ComponentTooLargeError;
    expect(tooLarge.name).toBe('ComponentTooLargeError');
    expect(tooLarge.size).toBeGreaterThan(COMPONENT_DATA_MAX_CHARS);
    expect(tooLarge.message).toContain('16000');
    expect(tooLarge.message).toContain(String(tooLarge.size));
    expect(tooLarge.message).toContain('fewer images');
    expect(tooLarge.message).toContain('shorter references');
  });

  it('renders the same document for the same image set, whatever the order or spelling', () => {
    const pool = [...PUBLIC, PRIVATE, 'nginx:1.27', 'bitnami/redis:7', `${ECR}/agent@sha256:${'ab'.repeat(32)}`];
    const reference = renderCacheComponent({ images: pool });

    fc.assert(
      fc.property(fc.shuffledSubarray(pool, { minLength: pool.length }), fc.subarray(pool), (shuffled, extra) => {
        expect(renderCacheComponent({ images: [...shuffled, ...extra] })).toBe(reference);
      }),
      { numRuns: 200 },
    );
    expect(renderCacheComponent({ images: ['docker.io/library/nginx:1.27', ...pool] })).toBe(reference);
  });
});

describe('cacheComponentProblems (the plan check)', () => {
  const tooMany = Array.from({ length: 400 }, (_, i) => `${ECR}/team-${i}/${'windows-service-'.repeat(6)}${i}:2024.11.${i}-windowsservercore-ltsc2022`);

  it('finds nothing wrong with no images or a list that fits', () => {
    expect(cacheComponentProblems([])).toEqual([]);
    expect(cacheComponentProblems([...PUBLIC, PRIVATE])).toEqual([]);
  });

  it('names the 16,000-character limit for a list that would not fit, exactly as the build would fail', () => {
    const problems = cacheComponentProblems(tooMany);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('limit of 16000');
    expect(() => renderCacheComponent({ images: tooMany })).toThrow(problems[0]);
  });

  it('reports an invalid reference instead of throwing', () => {
    expect(cacheComponentProblems(['nginx; Remove-Item C:\\'])[0]).toContain('invalid image reference');
  });
});
