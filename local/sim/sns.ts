import { awsError, iso, type Ctx, type Handlers, type Input } from './context.js';

const MAX_MESSAGE_BYTES = 262_144;

export function snsHandlers(ctx: Ctx): Handlers {
  return {
    Publish(input: Input) {
      // Amazon SNS API Reference, Publish: TopicArn or TargetArn; invalid parameters are InvalidParameterException.
      // NOTE more forgiving than AWS: the topic is not checked to exist (NotFound), any well-formed ARN is accepted.
      const topicArn = typeof input.TopicArn === 'string' ? input.TopicArn : typeof input.TargetArn === 'string' ? input.TargetArn : undefined;
      if (!topicArn || !/^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(\.fifo)?$/.test(topicArn))
        throw awsError('InvalidParameterException', 'Invalid parameter: TopicArn');
      const message = input.Message;
      if (typeof message !== 'string' || message === '') throw awsError('InvalidParameterException', 'Invalid parameter: Empty message');
      // Amazon SNS API Reference, Publish: "messages must be UTF-8 encoded strings and at most 256 KB in size (262,144 bytes,
      // not 262,144 characters)"; an empty message is refused.
      if (Buffer.byteLength(message, 'utf8') > MAX_MESSAGE_BYTES)
        throw awsError('InvalidParameterException', 'Invalid parameter: Message too long');
      const subject = input.Subject;
      // E-mail subjects: printable ASCII only, no line breaks, ≤ 100 chars. An em dash fails the whole publish.
      // Amazon SNS API Reference, Publish, Subject: "must be ASCII text that begins with a letter, number, or punctuation mark;
      // must not include line breaks or control characters; and must be less than 100 characters long".
      if (subject !== undefined && (typeof subject !== 'string' || !/^[\x20-\x7e]{1,100}$/.test(subject)))
        throw awsError('InvalidParameterException', 'Invalid parameter: Subject');
      const attributes = (input.MessageAttributes ?? {}) as Record<string, Record<string, unknown>>;
      // Amazon SNS Developer Guide, "Amazon SNS message attributes": each attribute needs a DataType and a value
      // (InvalidParameterValueException). The 10-attribute limit is not checked (knowingly simplified).
      for (const [k, a] of Object.entries(attributes)) {
        if (typeof a?.DataType !== 'string') throw awsError('InvalidParameterValueException', `The message attribute '${k}' must contain a DataType.`);
        if (a.StringValue === undefined && a.BinaryValue === undefined)
          throw awsError('InvalidParameterValueException', `The message attribute '${k}' must contain non-empty message attribute value.`);
      }
      const messageId = uuid(ctx);
      ctx.state.published.push({
        t: iso(ctx.now()),
        topicArn,
        ...(typeof subject === 'string' ? { subject } : {}),
        message,
        attributes: JSON.parse(JSON.stringify(attributes)) as Record<string, unknown>,
        messageId,
      });
      return { MessageId: messageId };
    },
  };
}

export function uuid(ctx: Ctx): string {
  const h = ctx.nextId('', 12);
  return `00000000-0000-4000-8000-${h}`;
}
