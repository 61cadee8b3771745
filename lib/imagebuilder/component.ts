import { PipelineError, PlanError } from '../errors.js';
import { imagesDigest, InvalidImageReferenceError, isEcrRegistry, parseImageReference } from '../images.js';

/**
 * The Image Builder component that caches container images in the AMI, so a new
 * Windows node starts pods without pulling gigabytes first. The traps it avoids:
 * - kubelet reads only containerd's `k8s.io` namespace; plain `ctr image pull` fills
 *   `default`, which kubelet never sees.
 * - kubelet's image GC deletes unused images unless labelled io.cri-containerd.pinned=pinned.
 * - ctr uses neither kubelet's ECR credential provider nor `docker login`: it needs
 *   `--user AWS:<token>` from the build instance's role (tokens are regional).
 * - The test phase runs on an instance launched from the new AMI, so it proves the
 *   images survived image creation, not just the pull.
 * - PowerShell 5.1 turns redirected native stderr into errors under `Stop`, and ignores
 *   native exit codes: ctr runs under `Continue` and its exit code decides.
 * - A listing that is parsed reads stdout only: crictl prints warnings on stderr (e.g.
 *   "using default endpoints" when none is configured), and `2>&1` would splice them
 *   into the JSON. stderr goes to a file, quoted only when the command fails.
 * - crictl is given containerd's CRI endpoint explicitly: without one it probes a list
 *   of defaults (Linux sockets first) and warns. On Windows, containerd listens on the
 *   named pipe npipe:////./pipe/containerd-containerd (Kubernetes docs, "Installing
 *   kubeadm", container runtimes table).
 * - ECR passwords come from AWS Tools for PowerShell's Get-ECRLoginCommand (its
 *   `.Password`; AWS Tools for PowerShell ECR examples) or, without it, the AWS CLI's
 *   `aws ecr get-login-password`: both use the instance role.
 * - Component `data` is inline and at most 16,000 characters, so the script is a
 *   loop over one array of references rather than a copy per image.
 */

export const COMPONENT_DATA_MAX_CHARS = 16_000;
export const DEFAULT_MIN_FREE_DISK_GB = 20;
const PULL_ATTEMPTS = 5;
const BUILD_TIMEOUT_SECONDS = 14_400;
const TEST_TIMEOUT_SECONDS = 900;
/** containerd's CRI endpoint on Windows (the pipe kubelet's --container-runtime-endpoint names on EKS nodes). */
export const CONTAINERD_CRI_ENDPOINT = 'npipe:////./pipe/containerd-containerd';

export class ComponentTooLargeError extends PipelineError {
  constructor(
    readonly size: number,
    readonly limit: number,
    readonly imageCount: number,
  ) {
    super(
      `the image cache component is ${size} characters, over Image Builder's inline component limit of ${limit} ` +
        `(${imageCount} images): cache fewer images in this variant, or use shorter references ` +
        '(e.g. a registry mirror with short repository names)',
    );
  }
}

export type CacheComponentOptions = {
  /** References already checked with checkImagesForVariant; parsed again here anyway. */
  images: string[];
  /** Refuse to pull when C: has less free space than this; default 20 GB. */
  minFreeDiskGb?: number;
};

/**
 * The document depends only on the image set (ECR tokens are fetched for each
 * registry's own region, named in its host), so the plan can render it exactly as
 * the build will and refuse an oversized one before any variant starts building.
 */
export function renderCacheComponent(opts: CacheComponentOptions): string {
  const minFreeGb = opts.minFreeDiskGb ?? DEFAULT_MIN_FREE_DISK_GB;
  if (!Number.isInteger(minFreeGb) || minFreeGb < 1 || minFreeGb > 10_000) {
    throw new PlanError(`minFreeDiskGb must be a whole number of GB between 1 and 10000, got ${minFreeGb}`);
  }
  // Parsing again is the guarantee that nothing but grammar-checked text reaches the script.
  const refs = [...new Set(opts.images.map((ref) => parseImageReference(ref).canonical))].sort();
  if (refs.length === 0) {
    throw new PlanError('no images to cache: leave the image cache component out of the recipe instead');
  }
  const ecrRegions = new Map<string, string>();
  for (const ref of refs) {
    const registry = parseImageReference(ref).registry;
    const ecr = isEcrRegistry(registry);
    if (ecr) ecrRegions.set(registry, ecr.region);
  }

  const imageArray = imageList(refs);
  const description =
    `Pulls ${refs.length} container images into containerd's k8s.io namespace and pins them ` +
    `(set ${imagesDigest(refs)})`;
  const data = [
    'name: cache-container-images',
    `description: ${JSON.stringify(description)}`,
    'schemaVersion: 1.0',
    'phases:',
    '- name: build',
    '  steps:',
    '  - name: PullAndPinImages',
    '    action: ExecutePowerShell',
    `    timeoutSeconds: ${BUILD_TIMEOUT_SECONDS}`,
    '    onFailure: Abort',
    '    maxAttempts: 1',
    '    inputs:',
    '      commands:',
    '      - |',
    ...indent(buildScript(imageArray, ecrRegions, minFreeGb)),
    '- name: test',
    '  steps:',
    '  - name: CheckImagesCachedAndPinned',
    '    action: ExecutePowerShell',
    `    timeoutSeconds: ${TEST_TIMEOUT_SECONDS}`,
    '    onFailure: Abort',
    '    maxAttempts: 1',
    '    inputs:',
    '      commands:',
    '      - |',
    ...indent(testScript(imageArray)),
    '',
  ].join('\n');

  if (data.length > COMPONENT_DATA_MAX_CHARS) {
    throw new ComponentTooLargeError(data.length, COMPONENT_DATA_MAX_CHARS, refs.length);
  }
  return data;
}

/**
 * The plan's check of the cache component (empty when it renders): run before any
 * build starts, so an image list over the inline limit fails the whole run up front
 * instead of one variant mid-run while the others are already building.
 */
export function cacheComponentProblems(images: string[]): string[] {
  if (images.length === 0) return [];
  try {
    renderCacheComponent({ images });
    return [];
  } catch (error) {
    if (error instanceof ComponentTooLargeError || error instanceof InvalidImageReferenceError) return [error.message];
    throw error;
  }
}

/** Shared opening: fail fast, exit 1 on any terminating error, find ctr, make sure containerd runs. */
function prologue(imageArray: string[], failure: string): string[] {
  return [
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    `trap { Write-Host "${failure}: $_"; exit 1 }`,
    ...imageArray,
    "$ctr = Join-Path $env:ProgramFiles 'containerd\\ctr.exe'",
    "if (-not (Test-Path $ctr)) { $ctr = 'ctr.exe' }",
    "if ((Get-Service containerd).Status -ne 'Running') { Start-Service containerd }",
  ];
}

function buildScript(imageArray: string[], ecrRegions: Map<string, string>, minFreeGb: number): string[] {
  const lines = [...prologue(imageArray, 'Caching container images failed')];
  const hasEcr = ecrRegions.size > 0;
  if (hasEcr) {
    const entries = [...ecrRegions].map(([registry, region]) => `${psQuote(registry)}=${psQuote(region)}`);
    lines.push(
      `$ecrRegions = @{${entries.join(';')}}`,
      '$passwords = @{}',
      'function Get-PullAuth([string]$Ref) {',
      "  $region = $ecrRegions[$Ref.Split('/')[0]]",
      '  if (-not $region) { return }',
      '  if (-not $passwords.ContainsKey($region)) {',
      '    if (Get-Command Get-ECRLoginCommand -ErrorAction SilentlyContinue) {',
      '      $passwords[$region] = (Get-ECRLoginCommand -Region $region).Password',
      '    } else {',
      "      $ErrorActionPreference = 'Continue'",
      '      $pw = (aws ecr get-login-password --region $region | Out-String).Trim()',
      '      if ($LASTEXITCODE -ne 0 -or -not $pw) { throw "aws ecr get-login-password --region $region failed" }',
      '      $passwords[$region] = $pw',
      '    }',
      '  }',
      "  '--user'",
      '  "AWS:$($passwords[$region])"',
      '}',
    );
  }
  lines.push(
    'function Invoke-Pull([string]$Ref) {',
    ...(hasEcr ? ['  $auth = @(Get-PullAuth $Ref)'] : []),
    "  $ErrorActionPreference = 'Continue'",
    `  $out = & $ctr -n k8s.io images pull ${hasEcr ? '@auth ' : ''}$Ref 2>&1 | Out-String`,
    '  if ($LASTEXITCODE -ne 0) { throw "pulling $Ref failed (exit $LASTEXITCODE): $($out.Trim())" }',
    '}',
    'function Invoke-Pin([string]$Ref) {',
    "  $ErrorActionPreference = 'Continue'",
    "  $out = & $ctr -n k8s.io images label $Ref 'io.cri-containerd.pinned=pinned' 2>&1 | Out-String",
    '  if ($LASTEXITCODE -ne 0) { throw "pinning $Ref failed (exit $LASTEXITCODE): $($out.Trim())" }',
    '}',
    'foreach ($ref in $images) {',
    '  $freeGb = [math]::Round((Get-PSDrive C).Free / 1GB, 1)',
    `  if ($freeGb -lt ${minFreeGb}) { throw "only $freeGb GB free on C: before pulling $ref, need ${minFreeGb} GB: give the build a larger root volume or cache fewer images" }`,
    '  for ($attempt = 1; ; $attempt++) {',
    '    try { Invoke-Pull $ref; break }',
    '    catch {',
    `      if ($attempt -ge ${PULL_ATTEMPTS}) { throw "$_ (gave up after $attempt attempts)" }`,
    '      $delay = 5 * [math]::Pow(2, $attempt)',
    `      Write-Host "attempt $attempt of ${PULL_ATTEMPTS}: $_; retrying in $delay s"`,
    '      Start-Sleep -Seconds $delay',
    '    }',
    '  }',
    '  Invoke-Pin $ref',
    '  Write-Host "cached and pinned $ref"',
    '}',
  );
  return lines;
}

function testScript(imageArray: string[]): string[] {
  return [
    ...prologue(imageArray, 'Cached container images check failed'),
    "$stderrFile = Join-Path $env:TEMP 'cache-images-check.stderr'",
    "$ErrorActionPreference = 'Continue'",
    '$listing = & $ctr -n k8s.io images ls 2>$stderrFile',
    '$code = $LASTEXITCODE',
    "$ErrorActionPreference = 'Stop'",
    'if ($code -ne 0) { throw "ctr -n k8s.io images ls failed (exit $code): $(Get-Content -Raw $stderrFile)" }',
    '$rows = @{}',
    "foreach ($line in $listing) { $name = (\"$line\" -split '\\s+')[0]; if ($name) { $rows[$name] = \"$line\" } }",
    '$missing = @($images | Where-Object { -not $rows.ContainsKey($_) })',
    "$unpinned = @($images | Where-Object { $rows.ContainsKey($_) -and $rows[$_] -notlike '*io.cri-containerd.pinned=pinned*' })",
    "if ($missing) { Write-Host \"not in containerd's k8s.io namespace: $($missing -join ', ')\" }",
    "if ($unpinned) { Write-Host \"not pinned, image GC may delete: $($unpinned -join ', ')\" }",
    'if ($missing -or $unpinned) { exit 1 }',
    // crictl asks containerd through CRI, exactly as kubelet will.
    '$crictl = Get-Command crictl -ErrorAction SilentlyContinue',
    'if ($crictl) {',
    "  $ErrorActionPreference = 'Continue'",
    `  $cri = (& $crictl.Source --runtime-endpoint '${CONTAINERD_CRI_ENDPOINT}' --image-endpoint '${CONTAINERD_CRI_ENDPOINT}' images -o json 2>$stderrFile) -join "\`n"`,
    '  $code = $LASTEXITCODE',
    "  $ErrorActionPreference = 'Stop'",
    '  if ($code -ne 0) { throw "crictl images failed (exit $code): $(Get-Content -Raw $stderrFile)" }',
    '  $tags = @((ConvertFrom-Json $cri).images | ForEach-Object { $_.repoTags + $_.repoDigests })',
    '  $unseen = @($images | Where-Object { $tags -notcontains $_ })',
    '  if ($unseen) { Write-Host "not visible to kubelet (crictl images): $($unseen -join \', \')"; exit 1 }',
    '} else { Write-Host "crictl not found: checked with ctr -n k8s.io only" }',
    'Write-Host "all $($images.Count) images cached and pinned"',
  ];
}

/**
 * `$images`, the sorted canonical references, written once per registry: an ECR
 * registry name is ~45 characters, and repeating it per image would cap the
 * component at a few dozen images. Sorted strings sharing a `registry/` prefix are
 * adjacent, so the rebuilt list keeps the sorted order.
 */
function imageList(refs: string[]): string[] {
  const byRegistry = new Map<string, string[]>();
  for (const ref of refs) {
    const { registry } = parseImageReference(ref);
    const rest = ref.slice(registry.length + 1);
    byRegistry.set(registry, [...(byRegistry.get(registry) ?? []), rest]);
  }
  const entries = [...byRegistry].map(([registry, rest]) => `${psQuote(registry)}=@(${rest.map(psQuote).join(',')})`);
  return [
    `$byRegistry = [ordered]@{${entries.join(';')}}`,
    '$images = @(foreach ($r in $byRegistry.Keys) { foreach ($p in $byRegistry[$r]) { "$r/$p" } })',
  ];
}

/** Validated references cannot hold a quote; doubling them (incl. the curly ones PowerShell honours) is belt and braces. */
function psQuote(text: string): string {
  return `'${text.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

function indent(lines: string[]): string[] {
  return lines.map((line) => `        ${line}`);
}
