import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { METRIC_UNITS, METRICS_NAMESPACE } from '../lib/metrics/points.js';

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { title: string; region: string; view: string; stat: string; period: number; metrics: { expression: string; id: string }[][] };
}

/** resources/dashboard.yml as `serverless package --stage ci` in us-west-2 resolves it (its own variables only). */
function dashboard() {
  const text = readFileSync('resources/dashboard.yml', 'utf8').replaceAll('${sls:stage}', 'ci').replaceAll('${aws:region}', 'us-west-2');
  expect(text).not.toMatch(/\$\{/);
  const doc = parse(text, { customTags: [{ tag: '!Ref', resolve: (v: string) => ({ Ref: v }) }] }) as { Resources: Record<string, { Type: string; Properties: { DashboardName: string; DashboardBody: string } }> };
  return doc.Resources.PipelineDashboard;
}

describe('the CloudWatch dashboard in the stack', () => {
  it('is a dashboard with a name CloudWatch accepts for the stage', () => {
    const d = dashboard();
    expect(d?.Type).toBe('AWS::CloudWatch::Dashboard');
    // PutDashboard API Reference: DashboardName up to 255 characters, A-Z a-z 0-9 - _ only.
    expect(d?.Properties.DashboardName).toBe('eks-windows-patch-ci');
    expect(d?.Properties.DashboardName).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
  });

  it('graphs every metric the Lambdas publish, every variant of this stage, on a 24-column grid without overlaps', () => {
    const body = JSON.parse(dashboard()?.Properties.DashboardBody ?? '') as { widgets: Widget[] };
    const searched = body.widgets.flatMap((w) => w.properties.metrics.flat().map((m) => /MetricName="(\w+)"/.exec(m.expression)?.[1]));
    expect(searched.sort()).toEqual(Object.keys(METRIC_UNITS).sort());
    for (const w of body.widgets) {
      expect(w.type).toBe('metric');
      expect(w.properties.region).toBe('us-west-2');
      for (const m of w.properties.metrics.flat()) {
        expect(m.id).toMatch(/^[a-z][A-Za-z0-9_]*$/);
        expect(m.expression).toMatch(new RegExp(`^SEARCH\\('\\{${METRICS_NAMESPACE},stage,variant\\} stage="ci" MetricName="\\w+"', '(Sum|Maximum)', (86400|3600)\\)$`));
      }
      expect(w.x + w.width).toBeLessThanOrEqual(24);
    }
    const cells = new Set<string>();
    for (const w of body.widgets)
      for (let x = w.x; x < w.x + w.width; x++)
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
    // Counts add up per day; durations and days show their largest value.
    const stat = (name: string) => body.widgets.find((w) => w.properties.metrics.flat().some((m) => m.expression.includes(`"${name}"`)))?.properties.stat;
    expect(Object.keys(METRIC_UNITS).map((n) => [n, stat(n)])).toEqual(Object.keys(METRIC_UNITS).map((n) => [n, /Seconds$|^Days/.test(n) ? 'Maximum' : 'Sum']));
  });
});
