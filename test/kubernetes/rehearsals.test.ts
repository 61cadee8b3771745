import { describe, expect, it } from 'vitest';
import { summarize } from '../../local/summary.js';
import { callsOf, loadScenario, rehearse, type RehearsalReport, type Scenario } from '../support/rehearse.js';

/**
 * Issue 10's rehearsals: the readiness gate and the drain, end to end through the real state machines (the
 * lifecycle-action one started by the simulated EventBridge rule), against the simulated cluster.
 */
const failureNotice = (r: RehearsalReport) => r.notifications.find((n) => n.subject?.startsWith('FAILED rollout'))?.message ?? '';
const onAmi = (r: RehearsalReport, asg: string) => [...new Set(r.account.instances(asg).map((i) => i.imageId))];
const refreshed = (r: RehearsalReport) => callsOf(r, 'StartInstanceRefresh').map((c) => c.AutoScalingGroupName);

describe('a patched AMI whose nodes never become Ready', () => {
  it('fails the canary through its launch hook, rolls it back, touches no other group and says why', async () => {
    const r = await rehearse(loadScenario('local/scenarios/kubernetes-never-ready.yml'), { logLevel: 'SILENT' });

    expect(r.status).toBe('FAILED');
    expect(refreshed(r)).toEqual(['eks-win2022-canary']);
    expect(callsOf(r, 'CompleteLifecycleAction').map((c) => c.LifecycleActionResult)).toEqual(['ABANDON']);
    expect(callsOf(r, 'RollbackInstanceRefresh').map((c) => c.AutoScalingGroupName)).toEqual(['eks-win2022-canary']);
    // Back on the old AMI, and the other groups never moved.
    for (const asg of ['eks-win2022-canary', 'eks-win2022-web', 'eks-win2022-api']) expect(onAmi(r, asg)).toEqual(['ami-0b2022c0000000001']);
    expect(r.account.asg('eks-win2022-canary').version).toBe('1');
    expect(failureNotice(r)).toMatch(/eks-win2022-canary: rolled back to launch template version 1 - readiness gate: new node i-\w+ never became Ready within 15 min/);
    // Progressive waves order the other groups by expected refresh time, shortest first.
    expect(failureNotice(r)).toMatch(/never touched \(2\): (eks-win2022-web, eks-win2022-api|eks-win2022-api, eks-win2022-web)\n/);
    expect(r.notifications.map((n) => n.subject)).toContain('New node refused in eks-win2022-canary (win2022-core-131)');
    // The hooks exist only while the refresh runs.
    expect(callsOf(r, 'DeleteLifecycleHook').map((c) => c.LifecycleHookName).sort()).toEqual(['eks-windows-patch-rehearsal-drain', 'eks-windows-patch-rehearsal-ready']);
    const hooks = (await r.account.call('AutoScaling', 'DescribeLifecycleHooks', { AutoScalingGroupName: 'eks-win2022-canary' })) as { LifecycleHooks: unknown[] };
    expect(hooks.LifecycleHooks).toEqual([]);
    expect(summarize(r).kubernetes.find((k) => k.asgName === 'eks-win2022-canary')).toMatchObject({ nodesReady: 0, nodesRefused: 1, podsDeletedWithoutEviction: 0 });
  });
});

describe('PodDisruptionBudget-protected workloads', () => {
  it('moves every pod through the Eviction API, with no budget violated and no pod deleted without eviction', async () => {
    const r = await rehearse(loadScenario('local/scenarios/kubernetes-pdb.yml'), { logLevel: 'SILENT' });

    expect(r.status).toBe('SUCCEEDED');
    const k = summarize(r).kubernetes;
    const web = k.find((g) => g.asgName === 'eks-win2022-web');
    expect(web).toMatchObject({ nodesReady: 3, nodesRefused: 0, podsDeletedWithoutEviction: 0, pdbViolations: 0 });
    // 3 replicas over 3 nodes: one web pod per old node, each evicted (the DaemonSet pods stay until their node goes).
    expect(web?.podsEvicted).toBe(3);
    expect(web?.longestDrainSeconds).toBeGreaterThan(0);
    expect(k.every((g) => g.podsDeletedWithoutEviction === 0 && g.pdbViolations === 0)).toBe(true);
    // Every pod that left an old node left by eviction; none was deleted directly.
    const kube = r.calls.filter((c) => c.service === 'Kubernetes');
    expect(kube.filter((c) => c.operation === 'CreateEviction' && !c.error).length).toBeGreaterThanOrEqual(4);
    expect(kube.some((c) => /Delete/.test(c.operation))).toBe(false);
    expect(onAmi(r, 'eks-win2022-web')).toEqual([expect.stringMatching(/^ami-/)]);
    expect(onAmi(r, 'eks-win2022-web')).not.toEqual(['ami-0b2022c0000000001']);
  });
});

describe('a budget that never allows an eviction', () => {
  const blocked = (onTimeout: 'rollback' | 'terminate'): Scenario => {
    const s = loadScenario('local/scenarios/kubernetes-eviction-blocked.yml');
    s.config.kubernetes.drain.onTimeout = onTimeout;
    return s;
  };

  it('names the pod and the budget, rolls the refresh back under onTimeout: rollback, and stops', async () => {
    const r = await rehearse(blocked('rollback'), { logLevel: 'SILENT' });

    expect(r.status).toBe('FAILED');
    const drain = r.notifications.find((n) => n.subject === 'Drain timed out in eks-win2022-web (win2022-core-131)')?.message ?? '';
    expect(drain).toMatch(/timed out after 10 min with 1 pod\(s\) left: default\/web-\S+ held by PDB web-pdb/);
    expect(drain).toMatch(/rolled back so no other node is drained/);
    expect(callsOf(r, 'RollbackInstanceRefresh')).toHaveLength(1);
    expect(failureNotice(r)).toMatch(/eks-win2022-web: rolled back to launch template version 1 - drain of .* held by PDB web-pdb/);
    expect(onAmi(r, 'eks-win2022-web')).toEqual(['ami-0b2022c0000000001']);
  });

  it('lets the refresh go on under onTimeout: terminate, naming every pod that went without eviction, and never calls the group patched', async () => {
    const r = await rehearse(blocked('terminate'), { logLevel: 'SILENT' });

    expect(callsOf(r, 'RollbackInstanceRefresh')).toHaveLength(0);
    const drains = r.notifications.filter((n) => n.subject === 'Drain timed out in eks-win2022-web (win2022-core-131)');
    expect(drains).toHaveLength(3);
    for (const d of drains) expect(d.message).toMatch(/held by PDB web-pdb; the instance terminates with them \(kubernetes.drain.onTimeout: terminate\)/);
    const web = summarize(r).kubernetes.find((g) => g.asgName === 'eks-win2022-web');
    expect(web?.podsDeletedWithoutEviction).toBe(3);
    expect(web?.podsDeletedWithoutEvictionNames).toHaveLength(3);
    // The refresh went on to the new AMI, but pods did not leave through the Eviction API: the group is not patched,
    // and as the only canary it stops the line.
    expect(onAmi(r, 'eks-win2022-web')).not.toEqual(['ami-0b2022c0000000001']);
    expect(r.status).toBe('FAILED');
    expect(summarize(r).variants[0]?.patched).toEqual([]);
    expect(failureNotice(r)).toMatch(/eks-win2022-web: NOT cleanly patched: on launch template version 2, but pods left their node without eviction - drain of .* held by PDB web-pdb/);
  });
});

describe('a group busy with someone else\'s refresh', () => {
  it('never gets our hooks while that refresh runs (deleting them would abandon its launches), and gets them for its own', async () => {
    const s = loadScenario('local/scenarios/kubernetes-pdb.yml');
    s.faults.push({ kind: 'refreshInProgress', asgName: 'eks-win2022-web', minutes: 20 });
    const r = await rehearse(s, { logLevel: 'SILENT' });

    expect(r.status).toBe('SUCCEEDED');
    const onWeb = r.calls.filter((c) => !c.error && (c.input as { AutoScalingGroupName?: string }).AutoScalingGroupName === 'eks-win2022-web');
    const firstPut = onWeb.findIndex((c) => c.operation === 'PutLifecycleHook');
    const start = onWeb.findIndex((c) => c.operation === 'StartInstanceRefresh');
    expect(firstPut).toBeGreaterThanOrEqual(0);
    // Hooks go on only right before our own start, and come off only after our refresh: never in between.
    expect(onWeb.slice(0, firstPut).some((c) => c.operation === 'DeleteLifecycleHook')).toBe(false);
    expect(start).toBeGreaterThan(firstPut);
    expect(onWeb.slice(firstPut, start).some((c) => c.operation === 'DeleteLifecycleHook')).toBe(false);
    expect(callsOf(r, 'StartInstanceRefresh').filter((c) => c.AutoScalingGroupName === 'eks-win2022-web')).toHaveLength(1);
  });
});
