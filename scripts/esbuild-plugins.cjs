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
      const contents = source.replace(/\[(_\w+)\]:/g, (whole, name) => (constants.has(name) ? `${constants.get(name)}:` : whole));
      return { contents, loader: 'js' };
    });
  },
};

module.exports = [sdkSchemaKeys];
