import { awsError, required, type Ctx, type Handlers, type Input } from './context.js';

function render(ctx: Ctx, name: string): Record<string, unknown> | undefined {
  const p = ctx.state.ssm[name];
  if (!p) return undefined;
  // AWS's public parameters have no account id in their ARN.
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
      if (!p) throw awsError('ParameterNotFound', `Parameter ${name} not found.`);
      return { Parameter: p };
    },
    GetParameters(input: Input) {
      const names = Array.isArray(input.Names) ? (input.Names as string[]) : [];
      if (names.length < 1 || names.length > 10) throw awsError('ValidationException', 'Names must hold 1 to 10 names.');
      const found = names.map((n) => render(ctx, n)).filter((p) => p !== undefined);
      return { Parameters: found, InvalidParameters: names.filter((n) => !ctx.state.ssm[n]) };
    },
    PutParameter(input: Input) {
      const name = required(input, 'Name', 'ValidationException');
      const value = required(input, 'Value', 'ValidationException');
      if (/^\/?(aws|ssm)/i.test(name)) throw awsError('AccessDeniedException', `Parameter names beginning with "aws" or "ssm" are reserved: ${name}`);
      if (value.length > 4096) throw awsError('ValidationException', 'Standard parameters hold at most 4 KB.');
      const old = ctx.state.ssm[name];
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

