import { awsError, type Ctx, type Handlers, type Input } from './context.js';

/**
 * IAM as the plan reads it: GetInstanceProfile (IAM API Reference, "GetInstanceProfile": the profile with its Roles;
 * an unknown name fails with NoSuchEntity, 404, "The request was rejected because it referenced a resource entity
 * that does not exist"). IAM is global: the same answer in every region.
 */
export function iamHandlers(ctx: Ctx): Handlers {
  return {
    GetInstanceProfile(input: Input) {
      const name = input.InstanceProfileName;
      // IAM API Reference, GetInstanceProfile: InstanceProfileName 1-128 characters of [\w+=,.@-].
      if (typeof name !== 'string' || !/^[\w+=,.@-]{1,128}$/.test(name)) throw awsError('ValidationError', `1 validation error detected: Value '${String(name)}' at 'instanceProfileName' failed to satisfy constraint`);
      const p = ctx.state.instanceProfiles[name];
      if (!p) throw awsError('NoSuchEntityException', `Instance Profile ${name} cannot be found.`, 404);
      const created = new Date(ctx.startedAt - 86_400_000);
      return {
        InstanceProfile: {
          Path: '/',
          InstanceProfileName: p.name,
          InstanceProfileId: `AIPA${p.name.length.toString().padStart(4, '0')}EXAMPLE`,
          Arn: `arn:aws:iam::${ctx.accountId}:instance-profile/${p.name}`,
          CreateDate: created,
          Roles: p.role === null ? [] : [{ Path: '/', RoleName: p.role, RoleId: 'AROAEXAMPLE', Arn: `arn:aws:iam::${ctx.accountId}:role/${p.role}`, CreateDate: created }],
        },
      };
    },
  };
}
