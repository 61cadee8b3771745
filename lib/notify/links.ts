/** AWS console links an operator can click from a plain-text e-mail. */
export function links(region: string) {
  const base = `https://${region}.console.aws.amazon.com`;
  return {
    execution: (arn: string) => `${base}/states/home?region=${region}#/v2/executions/details/${arn}`,
    image: (arn: string) => `${base}/imagebuilder/home?region=${region}#/images/${encodeURIComponent(arn)}/details`,
    ami: (id: string) => `${base}/ec2/home?region=${region}#ImageDetails:imageId=${id}`,
    asg: (name: string) => `${base}/ec2/home?region=${region}#AutoScalingGroupDetails:id=${encodeURIComponent(name)};view=instanceRefresh`,
  };
}
