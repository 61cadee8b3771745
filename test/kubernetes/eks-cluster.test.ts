import { describe, expect, it } from 'vitest';
import { clusterAccess, type EksClusterDescription } from '../../lib/eks/cluster.js';
import { PlanError } from '../../lib/errors.js';

const active: EksClusterDescription = {
  name: 'prod-windows',
  status: 'ACTIVE',
  endpoint: 'https://ABCDEF.gr7.us-west-2.eks.amazonaws.com',
  version: '1.31',
  certificateAuthority: { data: 'LS0tLS1CRUdJTg==' },
  accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
  resourcesVpcConfig: { endpointPublicAccess: true, endpointPrivateAccess: true },
};

describe('clusterAccess', () => {
  it('reads endpoint, CA and version of an ACTIVE cluster with access entries', async () => {
    const asked: string[] = [];
    const access = await clusterAccess(async (name) => (asked.push(name), active), 'prod-windows');
    expect(asked).toEqual(['prod-windows']);
    expect(access).toEqual({ name: 'prod-windows', endpoint: active.endpoint, caData: 'LS0tLS1CRUdJTg==', version: '1.31', privateOnly: false });
  });

  it('says when only the private endpoint is open, so the plan can ask for VPC settings', async () => {
    const c = { ...active, resourcesVpcConfig: { endpointPublicAccess: false, endpointPrivateAccess: true } };
    expect((await clusterAccess(async () => c, 'prod-windows')).privateOnly).toBe(true);
  });

  it('refuses a CONFIG_MAP-only cluster with the command that enables access entries', async () => {
    const c = { ...active, accessConfig: { authenticationMode: 'CONFIG_MAP' } };
    await expect(clusterAccess(async () => c, 'prod-windows')).rejects.toThrow(PlanError);
    await expect(clusterAccess(async () => c, 'prod-windows')).rejects.toThrow(/authenticationMode=API_AND_CONFIG_MAP/);
  });

  it('refuses a cluster that is not ACTIVE or lacks its CA, naming each problem', async () => {
    const c = { ...active, status: 'UPDATING', certificateAuthority: {} };
    await expect(clusterAccess(async () => c, 'prod-windows')).rejects.toThrow(/is UPDATING, not ACTIVE.*no certificateAuthority\.data/);
  });
});
