import type { TestProject } from 'vitest/node';
import { packageApp } from './package-app.js';

/**
 * `serverless package` once per test run, before any test file starts: serverless-esbuild
 * builds in the project's .esbuild folder, so two packagings side by side would mix
 * their bundles. The template and zips are shared through `inject('packagedDir')`.
 */
export default function setup(project: TestProject): void {
  const run = packageApp();
  if (run.status !== 0) throw new Error(`serverless package failed:\n${run.output}`);
  project.provide('packagedDir', run.dir);
}

declare module 'vitest' {
  export interface ProvidedContext {
    packagedDir: string;
  }
}
