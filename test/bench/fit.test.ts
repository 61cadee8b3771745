import { describe, expect, it } from 'vitest';
import { leastSquares, median, perUnitGrowth } from '../../bench/fit.js';

describe('leastSquares', () => {
  it('recovers the slope and intercept of points on a line', () => {
    // Arrange
    const points = [10, 100, 300, 1000].map((x) => ({ x, y: 350 + 1.5 * x }));
    // Act
    const fit = leastSquares(points);
    // Assert
    expect(fit.slope).toBeCloseTo(1.5, 10);
    expect(fit.intercept).toBeCloseTo(350, 8);
    expect(fit.r2).toBeCloseTo(1, 10);
  });

  it('reports a poorer fit for a quadratic cost', () => {
    const fit = leastSquares([10, 100, 300, 1000].map((x) => ({ x, y: x * x })));
    expect(fit.r2).toBeLessThan(0.99);
    expect(fit.slope).toBeGreaterThan(900);
  });

  it('matches a hand-computed fit through scattered points', () => {
    // x̄ = 2, ȳ = 3, Sxy = 4, Sxx = 2 → slope 2, intercept −1; residuals 0, 1, 0, −1 → SSres = 2, SStot = 10
    const fit = leastSquares([
      { x: 1, y: 1 },
      { x: 2, y: 4 },
      { x: 3, y: 5 },
      { x: 2, y: 2 },
    ]);
    expect(fit.slope).toBeCloseTo(2, 10);
    expect(fit.intercept).toBeCloseTo(-1, 10);
    expect(fit.r2).toBeCloseTo(0.8, 10);
  });

  it('refuses fewer than two distinct sizes', () => {
    expect(() => leastSquares([{ x: 1, y: 1 }])).toThrow(/two points/);
    expect(() => leastSquares([{ x: 5, y: 1 }, { x: 5, y: 2 }])).toThrow(/distinct/);
  });
});

describe('perUnitGrowth', () => {
  it('is 1 for a linear cost, below 1 when a fixed cost amortises, 10 for a quadratic one', () => {
    expect(perUnitGrowth({ x: 100, y: 1200 }, { x: 1000, y: 12_000 })).toBeCloseTo(1, 10);
    expect(perUnitGrowth({ x: 100, y: 500 }, { x: 1000, y: 2000 })).toBeCloseTo(0.4, 10);
    expect(perUnitGrowth({ x: 100, y: 100 ** 2 }, { x: 1000, y: 1000 ** 2 })).toBeCloseTo(10, 10);
  });
});

describe('median', () => {
  it('takes the middle sample, or the mean of the two middle ones', () => {
    expect(median([90, 12, 40])).toBe(40);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });
});
