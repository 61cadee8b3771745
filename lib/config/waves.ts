/**
 * rollout's progressive-wave defaults, apart from the schema so that Lambdas reading them (plan-run through
 * lib/rollout/wave-plan.ts) do not bundle zod: lib/config.ts builds its schemas at load, which esbuild cannot drop.
 */
export const WAVE_DEFAULTS = { growth: 4, maxConcurrentGroups: 1000, maxInstancesOutOfService: 1000, waveGate: 'firstBatch' } as const;
