/** The stages a run can be limited to (execution input `stages`). */
export const STAGES = ['build', 'fastLaunch', 'rollout'] as const;
export type Stage = (typeof STAGES)[number];
