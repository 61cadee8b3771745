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
      // with Overwrite" (ValidationException). DataType aws:ec2:image is not validated (knowingly simplified).
      if (old && input.Overwrite !== true) throw awsError('ParameterAlreadyExists', `The parameter ${name} already exists.`);
      if (old && input.Tags !== undefined) throw awsError('ValidationException', 'Tags cannot be used with Overwrite.');
      const version = (old?.version ?? 0) + 1;
      ctx.state.ssm[name] = {
        value,
        type: typeof input.Type === 'string' ? input.Type : (old?.type ?? 'String'),
        dataType: typeof input.DataType === 'string' ? input.DataType : (old?.dataType ?? 'text'),
        version,
        lastModified: ctx.now(),
      };
      return { Version: version, Tier: 'Standard' };
    },
  };
}

