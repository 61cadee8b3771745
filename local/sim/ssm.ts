import { allAmis } from './ec2.js';
import { awsError, required, type Ctx, type Handlers, type Input } from './context.js';

function render(ctx: Ctx, name: string): Record<string, unknown> | undefined {
  const p = ctx.state.ssm[name];
  if (!p) return undefined;
  // AWS's public parameters have no account id in their ARN.
  // AWS Systems Manager User Guide, "Discovering public parameters in Parameter Store": public parameters live under
  // /aws/service/ and have no account in their ARN.
  const owner = name.startsWith('/aws/') ? '' : ctx.accountId;
  return {
    Name: name,
    Type: p.type,
    Value: p.value,
    Version: p.version,
    LastModifiedDate: new Date(p.lastModified),
    ARN: `arn:aws:ssm:${ctx.region}:${owner}:parameter${name.startsWith('/') ? '' : '/'}${name}`,
    DataType: p.dataType,
  };
}

/**
 * SSM User Guide, "Using native parameter support in Parameter Store for Amazon Machine Image IDs" and SSM API Reference,
 * PutParameter, DataType: with aws:ec2:image the value must be an AMI id (ami- and hex digits) of an image available to
 * the account. AWS validates asynchronously: PutParameter answers 200 and an invalid value is then silently not stored.
 * The stricter reading refuses at once with ValidationException (the error PutParameter documents for an invalid
 * request), so a rehearsal can never believe it moved a parameter that AWS would have left where it was.
 */
function validateImageId(ctx: Ctx, name: string, value: string): void {
  if (!/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/.test(value)) throw awsError('ValidationException', `Parameter ${name}: ${value} is not an AMI id (ami- and 8 or 17 hex digits).`);
  // What EC2 would describe to the account now (the fleet's images and built AMIs once AVAILABLE): SSM asks EC2.
  if (!allAmis(ctx).has(value)) throw awsError('ValidationException', `Parameter ${name}: the image ${value} is not available in this account.`);
}

export function ssmValue(ctx: Ctx, name: string): string | undefined {
  return ctx.state.ssm[name]?.value;
}

export function ssmHandlers(ctx: Ctx): Handlers {
  return {
    GetParameter(input: Input) {
      const name = required(input, 'Name', 'ValidationException');
      const p = render(ctx, name);
      // SSM API Reference, GetParameter: an unknown name is ParameterNotFound.
      if (!p) throw awsError('ParameterNotFound', `Parameter ${name} not found.`);
      return { Parameter: p };
    },
    GetParameters(input: Input) {
      const names = Array.isArray(input.Names) ? (input.Names as string[]) : [];
      // SSM API Reference, GetParameters: Names "Minimum number of 1 item. Maximum number of 10 items"; unknown names are
      // returned in InvalidParameters, not as an error.
      if (names.length < 1 || names.length > 10) throw awsError('ValidationException', 'Names must hold 1 to 10 names.');
      const found = names.map((n) => render(ctx, n)).filter((p) => p !== undefined);
      return { Parameters: found, InvalidParameters: names.filter((n) => !ctx.state.ssm[n]) };
    },
    PutParameter(input: Input) {
      const name = required(input, 'Name', 'ValidationException');
      const value = required(input, 'Value', 'ValidationException');
      // SSM API Reference, PutParameter, Naming Constraints: "A parameter name can't be prefixed with aws or ssm
      // (case-insensitive)". The error name is not documented; the stricter reading refuses with AccessDeniedException.
      // NOTE more forgiving than AWS: the allowed characters, the 1011-character and 15-level limits are not checked.
      if (/^\/?(aws|ssm)/i.test(name)) throw awsError('AccessDeniedException', `Parameter names beginning with "aws" or "ssm" are reserved: ${name}`);
      // SSM API Reference, PutParameter: Value "Standard parameters have a value limit of 4 KB" (Tier Standard only).
      if (value.length > 4096) throw awsError('ValidationException', 'Standard parameters hold at most 4 KB.');
      const old = ctx.state.ssm[name];
      // SSM API Reference, PutParameter: an existing name without Overwrite is ParameterAlreadyExists; "You can't use tags
      // with Overwrite" (ValidationException).
      if (old && input.Overwrite !== true) throw awsError('ParameterAlreadyExists', `The parameter ${name} already exists.`);
      if (old && input.Tags !== undefined) throw awsError('ValidationException', 'Tags cannot be used with Overwrite.');
      const dataType = typeof input.DataType === 'string' ? input.DataType : (old?.dataType ?? 'text');
      // SSM User Guide, "Parameter data types in Parameter Store": "You can't change a parameter to or from" aws:ec2:image.
      if (old && old.dataType !== dataType && (old.dataType === 'aws:ec2:image' || dataType === 'aws:ec2:image'))
        throw awsError('ValidationException', `The data type of ${name} cannot change from ${old.dataType} to ${dataType}.`);
      if (dataType === 'aws:ec2:image') validateImageId(ctx, name, value);
      const version = (old?.version ?? 0) + 1;
      ctx.state.ssm[name] = {
        value,
        type: typeof input.Type === 'string' ? input.Type : (old?.type ?? 'String'),
        dataType,
        version,
        lastModified: ctx.now(),
      };
      return { Version: version, Tier: 'Standard' };
    },
    DeleteParameter(input: Input) {
      const name = required(input, 'Name', 'ValidationException');
      // SSM API Reference, DeleteParameter: an unknown name is ParameterNotFound; the parameter and all its versions go.
      if (!ctx.state.ssm[name]) throw awsError('ParameterNotFound', `Parameter ${name} not found.`);
      delete ctx.state.ssm[name];
      return {};
    },
  };
}

