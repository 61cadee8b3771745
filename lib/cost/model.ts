/**
 * The modelled cost of one run, pure: quantities the run produced (or a bench/fleet model gives) times the prices of
 * config `costs`. What it counts and why:
 * - Image Builder build instance hours at the configured instance type (imageBuilder.instanceTypes[0]): Image Builder
 *   itself has no charge, the instances it launches are billed at On-Demand rates (EC2 Image Builder User Guide,
 *   "What is Image Builder?": "no cost to use Image Builder... standard pricing for the AWS resources").
 * - Fast Launch: EC2 launches instances from the AMI to pre-provision fastLaunch.targetResourceCount snapshots
 *   (EC2 API Reference, EnableFastLaunch: "Amazon EC2 launches an instance and runs through Sysprep steps ... Then it
 *   creates a set of reserved snapshots"): those launches' instance hours and the snapshots' storage for the month
 *   they are kept (the next run retires them).
 * - The new AMI's root snapshot, kept `amiMonthsKept` months (retention keeps that many monthly AMIs); the full root
 *   volume is counted (EBS bills snapshots by the blocks written, so this is an upper bound).
 * - Step Functions Standard state transitions; Lambda GB-seconds and requests (arm64, the stack's memory size).
 */

export interface CostPrices {
  /** On-Demand price per hour by instance type, Windows license included (the build and Fast Launch instances run Windows). */
  instanceHourUsd: Record<string, number>;
  /** EBS snapshot storage, standard tier, per GB-month. */
  snapshotGbMonthUsd: number;
  /** Step Functions Standard workflows, per state transition. */
  stateTransitionUsd: number;
  /** Lambda arm64 per GB-second. */
  lambdaGbSecondUsd: number;
  /** Lambda per request. */
  lambdaRequestUsd: number;
}

export interface CostAssumptions {
  /** Minutes each Fast Launch pre-provisioning launch runs (Sysprep, shutdown, snapshot). */
  fastLaunchMinutesPerSnapshot: number;
  /** Months a patched AMI's snapshot is kept (retention.keepImages monthly AMIs). */
  amiMonthsKept: number;
  /** Billed duration of an average Lambda invocation of the pipeline, in seconds (the simulation's clock does not time handlers). */
  lambdaSecondsPerInvocation: number;
}

export interface RunQuantities {
  /** Per variant built or rolled out in this run. */
  variants: { id: string; buildMinutes: number; fastLaunch: boolean; newAmi: boolean }[];
  buildInstanceType: string;
  fastLaunchInstanceType: string;
  rootVolumeGiB: number;
  fastLaunchSnapshots: number;
  stateTransitions: number;
  lambdaInvocations: number;
  lambdaMemoryMb: number;
}

export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  unitPriceUsd: number;
  usd: number;
}

export interface RunCost {
  lines: CostLine[];
  totalUsd: number;
  prices: CostPrices;
  assumptions: CostAssumptions;
  /** Instance types with no price in costs.instanceHourUsd: counted at 0, with the fix. */
  unpriced: string[];
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function runCost(q: RunQuantities, prices: CostPrices, assumptions: CostAssumptions): RunCost {
  const unpriced = new Set<string>();
  const hourly = (type: string) => {
    const p = prices.instanceHourUsd[type];
    if (p === undefined) unpriced.add(type);
    return p ?? 0;
  };
  const buildHours = q.variants.reduce((h, v) => h + v.buildMinutes / 60, 0);
  const fastLaunched = q.variants.filter((v) => v.fastLaunch).length;
  const newAmis = q.variants.filter((v) => v.newAmi).length;
  const fastLaunchHours = (fastLaunched * q.fastLaunchSnapshots * assumptions.fastLaunchMinutesPerSnapshot) / 60;
  const gbSeconds = (q.lambdaInvocations * assumptions.lambdaSecondsPerInvocation * q.lambdaMemoryMb) / 1024;
  const line = (item: string, quantity: number, unit: string, unitPriceUsd: number): CostLine => ({ item, quantity: round(quantity, 3), unit, unitPriceUsd, usd: round(quantity * unitPriceUsd, 8) });
  const lines = [
    line(`Image Builder build instance (${q.buildInstanceType})`, buildHours, 'instance-hours', hourly(q.buildInstanceType)),
    line(`Fast Launch pre-provisioning launches (${q.fastLaunchInstanceType})`, fastLaunchHours, 'instance-hours', hourly(q.fastLaunchInstanceType)),
    line('Fast Launch pre-provisioned snapshots, kept 1 month', fastLaunched * q.fastLaunchSnapshots * q.rootVolumeGiB, 'GB-months', prices.snapshotGbMonthUsd),
    line(`AMI root snapshots, kept ${assumptions.amiMonthsKept} months`, newAmis * q.rootVolumeGiB * assumptions.amiMonthsKept, 'GB-months', prices.snapshotGbMonthUsd),
    line('Step Functions state transitions', q.stateTransitions, 'transitions', prices.stateTransitionUsd),
    line(`Lambda compute (${q.lambdaMemoryMb} MB, ${assumptions.lambdaSecondsPerInvocation} s per invocation)`, gbSeconds, 'GB-seconds', prices.lambdaGbSecondUsd),
    line('Lambda requests', q.lambdaInvocations, 'requests', prices.lambdaRequestUsd),
  ];
  return { lines, totalUsd: round(lines.reduce((s, l) => s + l.usd, 0), 2), prices, assumptions, unpriced: [...unpriced].sort() };
}

/** Dollars with cents, or with two significant digits below a cent ($0.0000133), never in exponent notation. */
export function usd(x: number): string {
  if (x === 0 || x >= 0.01) return `$${x.toFixed(2)}`;
  return `$${x.toFixed(Math.min(20, 1 - Math.floor(Math.log10(x))))}`;
}

/** A price as configured ($0.376, $0.000025), never in exponent notation. */
function unitPrice(x: number): string {
  return String(x).includes('e') ? `$${x.toFixed(Math.min(20, 1 - Math.floor(Math.log10(x))))}` : `$${x}`;
}

/** The summary's lines: one per item, the total, and each unpriced instance type with its fix. */
export function formatCost(cost: RunCost): string[] {
  return [
    ...cost.lines.map((l) => `  ${l.item}: ${l.quantity} ${l.unit} x ${unitPrice(l.unitPriceUsd)} = ${usd(l.usd)}`),
    `  Total: ${usd(cost.totalUsd)} (prices: config costs)`,
    ...cost.unpriced.map((t) => `  No price for ${t}: counted at $0; set costs.instanceHourUsd.${t}`),
  ];
}
