import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';

/**
 * One client per service for the whole process, created at module load (outside
 * the handler, so warm invocations reuse connections). Retries are ours (lib/aws/retry.ts):
 * one place that backs off with full jitter, tested, instead of two stacked layers.
 */
const options = { maxAttempts: 1 };

export const ec2 = new EC2Client(options);
export const autoScaling = new AutoScalingClient(options);
export const imageBuilder = new ImagebuilderClient(options);
export const ssm = new SSMClient(options);
export const sns = new SNSClient(options);
export const sfn = new SFNClient(options);
