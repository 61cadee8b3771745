import { CreateLaunchTemplateVersionCommand, ModifyLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { ec2 } from '../aws/clients.js';
import { withRetries } from '../aws/retry.js';
import { logger } from '../logger.js';
import { clientToken } from '../names.js';
import type { NodeGroupPlan } from '../plan/types.js';
import { mapLimit } from '../util.js';

/** A node group and the launch template version it moves to (null: already on the AMI). */
export interface WaveTarget {
  asgName: string;
  launchTemplateId: string;
  fromVersion: string;
  toVersion: string | null;
}

/**
 * New launch template versions for a whole wave, each created from exactly the version
 * the ASG runs (SourceVersion) with only ImageId changed. The ASG itself is not
 * touched: the instance refresh names the new version explicitly and moves the ASG
 * to it only when it succeeds, which is what makes AutoRollback possible.
 * Groups sharing a template and version share the new version (one ClientToken).
 */
export async function createWaveVersions(
  wave: NodeGroupPlan[],
  amiId: string,
  executionName: string,
  setDefault: boolean,
): Promise<WaveTarget[]> {
  const pending = new Map<string, Promise<string>>();
  const versionFor = (g: NodeGroupPlan) => {
    const key = `${g.launchTemplateId}:${g.version}`;
    if (!pending.has(key)) pending.set(key, createVersion(g, amiId, executionName, setDefault));
    return pending.get(key) as Promise<string>;
  };
  return mapLimit(wave, 8, async (g) => ({
    asgName: g.asgName,
    launchTemplateId: g.launchTemplateId,
    fromVersion: g.version,
    toVersion: g.imageId === amiId ? null : await versionFor(g),
  }));
}

async function createVersion(g: NodeGroupPlan, amiId: string, executionName: string, setDefault: boolean): Promise<string> {
  const out = await withRetries(() =>
    ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: g.launchTemplateId,
        SourceVersion: g.version,
        VersionDescription: `eks-windows-patch ${executionName}: ${amiId}`.slice(0, 255),
        LaunchTemplateData: { ImageId: amiId },
        ClientToken: clientToken('lt-version', executionName, g.launchTemplateId, g.version, amiId),
      }),
    ),
  );
  const version = String(out.LaunchTemplateVersion?.VersionNumber);
  logger.info(`launch template ${g.launchTemplateId} version ${version} created from ${g.version}`, { asgName: g.asgName, amiId });
  if (setDefault) await withRetries(() => ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: g.launchTemplateId, DefaultVersion: version })));
  return version;
}
