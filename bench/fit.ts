/**
 * Growth checks for the benchmark: an ordinary least-squares line through
 * (node groups, cost) and the per-group cost ratio between two fleet sizes.
 * A ratio near 1 (or below) means linear (or better); a quadratic cost, e.g.
 * polling every group on every poll of every wave, shows up as a ratio near 10
 * between 100 and 1,000 groups.
 */
export interface Point {
  x: number;
  y: number;
}

export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination: 1 when every point lies on the line. */
  r2: number;
}

export function leastSquares(points: readonly Point[]): LinearFit {
  if (points.length < 2) throw new Error('a line needs at least two points');
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  if (sxx === 0) throw new Error('a line needs at least two distinct x values');
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const ssTot = points.reduce((s, p) => s + (p.y - my) ** 2, 0);
  const ssRes = points.reduce((s, p) => s + (p.y - (intercept + slope * p.x)) ** 2, 0);
  return { slope, intercept, r2: ssTot === 0 ? 1 : 1 - ssRes / ssTot };
}

/** Cost per unit at the larger size divided by cost per unit at the smaller one. */
export function perUnitGrowth(small: Point, large: Point): number {
  if (small.x <= 0 || large.x <= 0 || small.y <= 0) throw new Error('sizes and the smaller cost must be positive');
  return large.y / large.x / (small.y / small.x);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
