import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { install } from '@sinonjs/fake-timers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../local/sim/account.js';
import { ScenarioFleetSchema } from '../../local/sim/fleet.js';
import { installSimulation } from '../../local/sim/install.js';

const NODE_AMI = 'ami-0b2022c0000000001';
const NAME = '/eks-windows-patch/ci/win2022-core-131/image_id';
const fleet = ScenarioFleetSchema.parse({
  amis: [{ id: NODE_AMI, name: 'eks-win2022-node-2026.10' }],
  ssmParameters: {},
  launchTemplates: [],
});
const ssm = new SSMClient({ region: 'us-west-2' });
const putImage = (Value: string, Overwrite?: boolean) => ssm.send(new PutParameterCommand({ Name: NAME, Value, Type: 'String', DataType: 'aws:ec2:image', ...(Overwrite !== undefined && { Overwrite }) }));

let clock: ReturnType<typeof install>;
let sim: { restore(): void };
let account: SimulatedAccount;

beforeEach(() => {
  clock = install({ now: Date.parse('2026-10-20T09:00:00Z'), toFake: ['Date'] });
  account = new SimulatedAccount({ fleet, faults: [], durations: {} });
  sim = installSimulation(account, {});
});
afterEach(() => {
  sim.restore();
  clock.uninstall();
});

describe('Parameter Store: AMI id parameters (DataType aws:ec2:image)', () => {
  it('stores an AMI the account has, with its data type, and moves the version on each overwrite', async () => {
    expect((await putImage(NODE_AMI)).Version).toBe(1);
    expect((await putImage(NODE_AMI, true)).Version).toBe(2);

    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: NAME }));
    expect(Parameter).toMatchObject({ Value: NODE_AMI, DataType: 'aws:ec2:image', Version: 2, Type: 'String' });
  });

  it('refuses a value that is no AMI id, and an AMI the account does not have, and keeps the old value', async () => {
    await putImage(NODE_AMI);

    await expect(putImage('resolve:ssm:/x', true)).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(putImage('ami-0123', true)).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(putImage('ami-0ffffffffffffffff', true)).rejects.toMatchObject({ name: 'ValidationException' });
    expect(account.parameter(NAME)).toEqual({ value: NODE_AMI, dataType: 'aws:ec2:image', version: 1 });
  });

  it('refuses to overwrite without Overwrite, and to change a parameter to or from aws:ec2:image', async () => {
    await putImage(NODE_AMI);

    await expect(putImage(NODE_AMI)).rejects.toMatchObject({ name: 'ParameterAlreadyExists' });
    await expect(ssm.send(new PutParameterCommand({ Name: NAME, Value: NODE_AMI, Type: 'String', DataType: 'text', Overwrite: true }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('deletes a parameter, and names an unknown one ParameterNotFound', async () => {
    await putImage(NODE_AMI);

    await ssm.send(new DeleteParameterCommand({ Name: NAME }));

    expect(account.parameter(NAME)).toBeUndefined();
    await expect(ssm.send(new DeleteParameterCommand({ Name: NAME }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
    // A deleted parameter starts again at version 1.
    expect((await putImage(NODE_AMI)).Version).toBe(1);
  });
});
