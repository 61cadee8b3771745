/** Tags on the AMIs this pipeline builds: where each came from (read by the plan to check an explicit amiId). */
export const TAG = {
  variant: 'eks-windows-patch:variant',
  sourceAmi: 'eks-windows-patch:source-ami',
  execution: 'eks-windows-patch:execution',
  kubernetes: 'eks-windows-patch:kubernetes',
  imagesDigest: 'eks-windows-patch:images-digest',
} as const;
