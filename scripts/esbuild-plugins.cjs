// esbuild plugins for serverless-esbuild (custom.esbuild.plugins).
// AWS SDK v3 clients keep every operation's schema in one module (dist-es/schemas/schemas_0.js)
// whose shapes use computed keys like `{ [_xN]: "..." }` with module constants. esbuild
// cannot prove such a computed key free of side effects, so it keeps every shape of the
// service (about 550 KB for EC2) even when a function uses two operations. Writing the
// constants' values in place of the computed keys lets tree-shaking drop the unused shapes.
const { readFile } = require('node:fs/promises');

const sdkSchemaKeys = {
  name: 'sdk-schema-literal-keys',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const constants = new Map();
      for (const m of source.matchAll(/^const (_\w+) = ("(?:[^"\\]|\\.)*");$/gm)) constants.set(m[1], m[2]);
      const literal = source.replace(/\[(_\w+)\]:/g, (whole, name) => (constants.has(name) ? `${constants.get(name)}:` : whole));
      // The same module registers every modeled error class of the service at load
      // (`n0_registry.registerError(ParameterNotFound$, ParameterNotFound)`): statements
      // with side effects, so every error class and its schema stay in the bundle (46 KB
      // for SSM). Without its registration an error arrives as the service's base
      // exception (the `_s_registry` line, kept) with `name` set to the error code,
      // `$fault` from the HTTP status and the response's fields (Message, ...) copied on
      // (@aws-sdk/core ProtocolLib.getErrorSchemaOrThrowBaseException). lib/ tells
      // errors apart by `error.name` only, never `instanceof` an SDK error class.
      // An error whose awsQueryError code differs from its class name stays registered when
      // the client reads that code: on the Query protocols (Auto Scaling, EC2) and JSON with
      // awsQueryCompatible, the wire code `InstanceRefreshInProgress` is thrown as
      // `InstanceRefreshInProgressFault`, and only the registration maps it. Plain JSON
      // clients (SSM) read the shape name from `__type` and never look at the trait.
      const shared = await readFile(args.path.replace(/schemas[\\/]schemas_\d+\.js$/, 'runtimeConfig.shared.js'), 'utf8').catch(() => 'AwsQueryProtocol');
      const readsQueryCodes = /AwsQueryProtocol|AwsEc2QueryProtocol|awsQueryCompatible/.test(shared);
      const renamed = new Set();
      for (const m of readsQueryCodes ? source.matchAll(/^export var (\w+)\$ = \[-3, \w+, \w+,\s*\{([^}]*)\}/gm) : []) {
        const code = m[2].match(/\[_aQE\]: \[[`"]([^`"]+)[`"]/)?.[1];
        if (code !== undefined && code !== m[1]) renamed.add(m[1]);
      }
      const contents = literal.replace(/^(?!_s_registry)\w+_registry\.registerError\((\w+)\$, \1\);$/gm, (line, name) => (renamed.has(name) ? line : ''));
      return { contents, loader: 'js' };
    });
  },
};

// Each client's runtimeConfig imports its whole package.json (2 KB: scripts, deps, ...)
// for one field, `version`, which goes into the User-Agent header.
const sdkPackageVersion = {
  name: 'sdk-package-json-version',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]package\.json$/ }, async (args) => {
      const { name, version } = JSON.parse(await readFile(args.path, 'utf8'));
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
  },
};

// HttpProtocol loads the event stream codec with `await import('@smithy/core/event-streams')`
// when an operation's input or output has an event stream member; esbuild inlines that
// import (16 KB). None of the operations our functions call streams events (EC2, Auto
// Scaling, EKS, SSM, Step Functions, Image Builder, SNS), so the dynamic import gets a stub
// that fails loudly if one ever does. Static imports of the module are left alone.
const noEventStreams = {
  name: 'sdk-no-event-streams',
  setup(build) {
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, namespace: 'sdk-no-event-streams' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'sdk-no-event-streams' }, () => ({
      contents:
        'const fail = () => { throw new Error("event streams are left out of this bundle (scripts/esbuild-plugins.cjs sdk-no-event-streams)"); };\n' +
        'export const eventStreamSerdeProvider = fail;\nexport class EventStreamSerde { constructor() { fail(); } }\n',
      loader: 'js',
    }));
  },
};

// Our error classes name themselves (`this.name = new.target.name`, lib/errors.ts) and the
// state machines' Retry/Catch match that name. The bundles are minified without esbuild's
// keepNames (its `__name(fn, "...")` call on every function and class of the SDK cost 20 KB
// a bundle), so each class declared in our own code (lib/, functions/) states its name in
// a static block instead, which survives identifier minification.
const ownClassNames = {
  name: 'own-class-names',
  setup(build) {
    build.onLoad({ filter: /[\\/](lib|functions)[\\/].*\.ts$/ }, async (args) => {
      if (args.path.includes(`${require('node:path').sep}node_modules${require('node:path').sep}`)) return undefined;
      const source = await readFile(args.path, 'utf8');
      const contents = source.replace(
        /^((?:export )?(?:abstract )?class (\w+)(?:<[^>{]*>)?(?: extends [\w.]+(?:<[^>{]*>)?)?(?: implements [\w., <>]+)? *\{)/gm,
        (head, _whole, name) => `${head} static { Object.defineProperty(this, 'name', { value: '${name}' }); }`,
      );
      return { contents, loader: 'ts' };
    });
  },
};

// Sha256Node falls back to a pure-JavaScript SHA-256 (3 KB) when node:crypto cannot hash
// sha256, which never happens on Lambda's Node.js runtimes: the fallback goes, and a Node
// without it fails at load with a clear message instead of signing slowly.
const nativeSha256 = {
  name: 'sdk-native-sha256',
  setup(build) {
    build.onLoad({ filter: /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]checksum[\\/]sha256[\\/]Sha256Node\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = source
        .replace('import { Sha256Js } from "./Sha256Js";', 'const Sha256Js = undefined;')
        .replace(': Sha256Js;', ': (() => { throw new Error("node:crypto cannot hash sha256 (scripts/esbuild-plugins.cjs sdk-native-sha256)"); })();');
      if (contents.includes('./Sha256Js') || !contents.includes('sdk-native-sha256')) throw new Error(`sdk-native-sha256: ${args.path} changed shape; update the rule`);
      return { contents, loader: 'js' };
    });
  },
};

// The same for the S3 client's SHA-1 (flexible checksums: an object stored with a SHA1 checksum is validated with
// it on GetObject): Sha1Node falls back to the pure-JavaScript Sha1Js (3 KB) only when node:crypto cannot hash sha1.
const nativeSha1 = {
  name: 'sdk-native-sha1',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]checksums[\\/]dist-es[\\/]submodules[\\/]sha[\\/]sha1[\\/]Sha1Node\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = source
        .replace('import { Sha1Js } from "./Sha1Js";', '')
        .replace(': Sha1Js;', ': (() => { throw new Error("node:crypto cannot hash sha1 (scripts/esbuild-plugins.cjs sdk-native-sha1)"); })();');
      if (contents.includes('Sha1Js') || !contents.includes('sdk-native-sha1')) throw new Error(`sdk-native-sha1: ${args.path} changed shape; update the rule`);
      return { contents, loader: 'js' };
    });
  },
};

// The S3 client imports the event stream codec statically (S3Client.js, runtimeConfig.js: 9 KB) for
// SelectObjectContent; our functions call GetObject and PutObject only. Those two modules get a stub with the
// two names they use: the config resolver as in @smithy/core, and a provider whose marshaller fails loudly if an
// operation ever streams events. Any other name imported from the stub fails the build (esbuild: no matching export).
const s3NoEventStreams = {
  name: 'sdk-s3-no-event-streams',
  setup(build) {
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) =>
      args.kind === 'import-statement' && /[\\/]@aws-sdk[\\/]client-s3[\\/]dist-es[\\/](S3Client|runtimeConfig)\.js$/.test(args.importer)
        ? { path: args.path, namespace: 'sdk-s3-no-event-streams' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'sdk-s3-no-event-streams' }, () => ({
      contents:
        'const fail = () => { throw new Error("event streams are left out of this bundle (scripts/esbuild-plugins.cjs sdk-s3-no-event-streams)"); };\n' +
        'export const eventStreamSerdeProvider = () => ({ serialize: fail, deserialize: fail });\n' +
        // @smithy/core/dist-es/submodules/event-streams/eventstream-serde-config-resolver/EventStreamSerdeConfig.js
        'export const resolveEventStreamSerdeConfig = (input) => Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });\n',
      loader: 'js',
    }));
  },
};

// S3's endpoint rule set (endpoint/bdd.js, 17 KB) covers access point and Outposts ARNs, S3 Express directory
// buckets, Object Lambda, multi-region access points, FIPS, dual-stack, Transfer Acceleration and custom endpoints.
// The run-state bucket is a general purpose bucket in the function's own region, reached at S3's regional endpoint
// (Amazon S3 User Guide, "Virtual hosting of buckets": https://bucket-name.s3.region-code.amazonaws.com/key, path
// style https://s3.region-code.amazonaws.com/bucket-name/key for names that are not DNS-compatible), signed with
// SigV4 for service s3 in that region. The resolver below gives exactly those two answers (the rule set's, test/
// bundle-errors.test.ts compares them) and throws, naming this rule, for everything else instead of guessing.
const s3PlainEndpoint = {
  name: 'sdk-s3-plain-endpoint',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-s3[\\/]dist-es[\\/]endpoint[\\/]endpointResolver\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('decideEndpoint(bdd') || !source.includes('export const defaultEndpointResolver')) throw new Error(`sdk-s3-plain-endpoint: ${args.path} changed shape; update the rule`);
      const contents = `import { awsEndpointFunctions } from "@aws-sdk/core/client";
import { customEndpointFunctions } from "@smithy/core/endpoints";
const left = (what) => { throw new Error("S3 endpoint rules for " + what + " are left out of this bundle (scripts/esbuild-plugins.cjs sdk-s3-plain-endpoint)"); };
const uriEncode = (v) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
export const defaultEndpointResolver = (p) => {
  if (p.Endpoint !== undefined) left("a custom endpoint");
  if (p.UseFIPS || p.UseDualStack || p.Accelerate || p.UseGlobalEndpoint || p.UseObjectLambdaEndpoint || p.UseS3ExpressControlEndpoint) left("FIPS, dual-stack, acceleration, the global endpoint, Object Lambda and S3 Express");
  const bucket = p.Bucket, region = p.Region;
  if (typeof bucket !== "string") left("operations without a bucket");
  if (bucket.startsWith("arn:") || /--(x|xa|op)-s3$/.test(bucket)) left("ARNs, S3 Express directory buckets and Outposts");
  if (typeof region !== "string" || !/^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(region) || region === "aws-global") left("the region " + region);
  const suffix = awsEndpointFunctions.partition(region).dnsSuffix;
  const url = !p.ForcePathStyle && awsEndpointFunctions.isVirtualHostableS3Bucket(bucket, false)
    ? "https://" + bucket + ".s3." + region + "." + suffix
    : "https://s3." + region + "." + suffix + "/" + uriEncode(bucket);
  return { url: new URL(url), properties: { authSchemes: [{ disableDoubleEncoding: true, name: "sigv4", signingName: "s3", signingRegion: region }] }, headers: {} };
};
customEndpointFunctions.aws = awsEndpointFunctions;
`;
      return { contents, loader: 'js' };
    });
  },
};

module.exports = [sdkSchemaKeys, sdkPackageVersion, noEventStreams, ownClassNames, nativeSha256, nativeSha1, s3NoEventStreams, s3PlainEndpoint];
