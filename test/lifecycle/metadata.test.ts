import { describe, expect, it } from 'vitest';
import { decodeMetadata, encodeMetadata, encodeVerdict, HookMetadataError, verdictFor, type HookMetadata } from '../../lib/lifecycle/metadata.js';
import { hookPlanOf } from '../../lib/rollout/hooks.js';
import { matches, statemachinePatterns } from '../../local/eventbridge.js';

const meta: HookMetadata = { v: 1, run: 'r', variant: 'v', cluster: 'c', lt: 'lt-1:2', build: '10.0.20348', k8s: '1.31', labels: {}, taints: [] };

describe('lifecycle hook metadata', () => {
  it('round-trips and refuses anything that is not ours', () => {
    expect(decodeMetadata(encodeMetadata(meta))).toEqual(meta);
    expect(decodeMetadata('{"v":2}')).toBeUndefined();
    expect(decodeMetadata('not json')).toBeUndefined();
    expect(decodeMetadata(undefined)).toBeUndefined();
  });

  it('refuses metadata over the hook limit of 1,023 characters, naming the way out', () => {
    const labels = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`example.com/label-${i}`, 'x'.repeat(10)]));
    expect(() => encodeMetadata({ ...meta, labels })).toThrow(HookMetadataError);
    expect(() => encodeMetadata({ ...meta, labels })).toThrow(/readinessGate: false/);
  });

  it('reads a verdict only for the refresh it was written for', () => {
    const tag = encodeVerdict('ir-1', 'readiness gate: new node i-1 never became Ready');
    expect(verdictFor(tag, 'ir-1')).toBe('readiness gate: new node i-1 never became Ready');
    expect(verdictFor(tag, 'ir-2')).toBeUndefined();
    expect(encodeVerdict('ir-1', 'x'.repeat(400))).toHaveLength(256);
  });
});

describe('which hooks a group gets', () => {
  it('puts the gate and our drain only where they apply, never on a group already current', () => {
    expect(hookPlanOf({ toVersion: '8', kubernetes: { cluster: 'c', gate: true, drain: 'ours' } })).toEqual({ gate: true, drain: true });
    expect(hookPlanOf({ toVersion: '8', kubernetes: { cluster: 'c', gate: true, drain: { assumed: 'nth' } } })).toEqual({ gate: true, drain: false });
    expect(hookPlanOf({ toVersion: '8', kubernetes: { cluster: 'c', gate: false, drain: 'off' } })).toBeUndefined();
    expect(hookPlanOf({ toVersion: null, kubernetes: { cluster: 'c', gate: true, drain: 'ours' } })).toBeUndefined();
    expect(hookPlanOf({ toVersion: '8' })).toBeUndefined();
  });
});

describe('the stack rule for lifecycle actions', () => {
  it('matches our hooks of this stage only', () => {
    const [pattern] = statemachinePatterns(
      [{ eventBridge: { event: { source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance-launch Lifecycle Action'], detail: { LifecycleHookName: ['eks-windows-patch-${sls:stage}-ready'] } } } }],
      'prod',
    );
    const event = { source: 'aws.autoscaling', 'detail-type': 'EC2 Instance-launch Lifecycle Action', detail: { LifecycleHookName: 'eks-windows-patch-prod-ready' } };
    expect(pattern && matches(pattern, event)).toBe(true);
    expect(pattern && matches(pattern, { ...event, detail: { LifecycleHookName: 'eks-windows-patch-dev-ready' } })).toBe(false);
    expect(pattern && matches(pattern, { ...event, detail: {} })).toBe(false);
  });
});
