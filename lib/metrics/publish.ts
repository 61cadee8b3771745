import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC_UNITS, METRICS_NAMESPACE, type MetricPoint } from './points.js';

/**
 * Publishes the points with Powertools Metrics: one EMF log line per variant (CloudWatch extracts the metrics from the
 * function's log; no PutMetricData, no IAM). Dimensions are exactly `stage` and `variant` (Powertools' default
 * `service` dimension is cleared).
 */
export function publishMetrics(stage: string, points: MetricPoint[]): void {
  const variants = [...new Set(points.map((p) => p.variant))];
  for (const variant of variants) {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'eks-windows-patch' });
    metrics.clearDefaultDimensions();
    metrics.addDimensions({ stage, variant });
    for (const p of points.filter((q) => q.variant === variant)) metrics.addMetric(p.name, METRIC_UNITS[p.name], p.value);
    metrics.publishStoredMetrics();
  }
}
