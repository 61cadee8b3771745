import { BAR_KINDS, type Bar, type BarKind, type Marker, type RunPicture } from './picture.js';

/**
 * The picture as one self-contained HTML page: inline style and script, no network (its Content-Security-Policy
 * allows nothing from elsewhere). Rows carry `data-row`, bars `data-kind`, markers `data-marker`, so a test can read
 * the structure without a browser; hover shows what a bar is, and the legend says what each colour means.
 */
const COLOURS: Record<BarKind, string> = {
  image: '#6a5acd',
  fastlaunch: '#1e90ff',
  rollout: '#8fbc8f',
  wave: '#3cb371',
  refresh: '#2e8b57',
  batch: '#66cdaa',
  gate: '#daa520',
  drain: '#cd853f',
  rollback: '#ff8c00',
  retire: '#a9a9a9',
  recover: '#bc8f8f',
};

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `+${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`;
}

function duration(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

/** Hour ticks (or finer on a short run), at most about 12. */
function ticks(span: number): number[] {
  const steps = [5, 10, 15, 30, 60, 120, 240, 360, 720, 1440].map((m) => m * 60_000);
  const step = steps.find((s) => span / s <= 12) ?? steps[steps.length - 1] ?? 3_600_000;
  const out: number[] = [];
  for (let t = 0; t <= span; t += step) out.push(t);
  return out;
}

export function renderPicture(p: RunPicture): string {
  const span = p.end - p.start;
  const pct = (t: number) => (((t - p.start) / span) * 100).toFixed(3);
  const width = (b: Bar) => ((Math.max(0, b.end - b.start) / span) * 100).toFixed(3);
  const bar = (b: Bar, row: string) => {
    const tip = `${b.label} — ${BAR_KINDS[b.kind]}; ${clock(b.start - p.start)} to ${clock(b.end - p.start)} (${duration(b.end - b.start)})${b.failed ? '; FAILED' : ''}`;
    return `<div class="bar k-${b.kind}${b.failed ? ' failed' : ''}" data-kind="${b.kind}" data-row="${escape(row)}" style="left:${pct(b.start)}%;width:${width(b)}%" data-tip="${escape(tip)}" title="${escape(tip)}"></div>`;
  };
  const marker = (m: Marker) => {
    const tip = `${m.kind === 'notification' ? 'Notification' : 'Failure'} at ${clock(m.t - p.start)}: ${m.label}`;
    return `<div class="marker m-${m.kind}" data-marker="${m.kind}" style="left:${pct(m.t)}%" data-tip="${escape(tip)}" title="${escape(tip)}"></div>`;
  };
  const rows = p.rows
    .map(
      (r) =>
        `<div class="row level-${r.level}" data-row="${escape(r.id)}" data-level="${r.level}"><div class="label" title="${escape(r.label)}">${escape(r.label)}</div><div class="lane">${r.bars.map((b) => bar(b, r.id)).join('')}${r.markers.map(marker).join('')}</div></div>`,
    )
    .join('\n');
  const axis = ticks(span)
    .map((t) => `<div class="tick" style="left:${((t / span) * 100).toFixed(3)}%"><span>${clock(t)}</span></div>`)
    .join('');
  const legend = (Object.keys(BAR_KINDS) as BarKind[])
    .map((k) => `<li><span class="swatch k-${k}"></span>${escape(k)}: ${escape(BAR_KINDS[k])}</li>`)
    .concat(['<li><span class="swatch m-notification"></span>notification sent to the admins</li>', '<li><span class="swatch m-failure"></span>a state or refresh that failed</li>', '<li><span class="swatch failed"></span>hatched: the bar ended in failure</li>'])
    .join('');
  const css = `body{font:13px system-ui,sans-serif;margin:16px;color:#222}h1{font-size:18px;margin:0 0 4px}p.sub{margin:0 0 12px;color:#555}
.chart{position:relative;border:1px solid #ccc}.row{display:flex;border-top:1px solid #eee;min-height:22px}.row:first-child{border-top:0}
.label{box-sizing:border-box;width:260px;flex:none;padding:3px 6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;border-right:1px solid #ddd;background:#fafafa}
.level-variant .label{font-weight:600}.level-group .label,.level-wave .label{padding-left:18px}.lane{position:relative;flex:1}
.bar{position:absolute;top:4px;height:14px;min-width:2px;border-radius:2px;opacity:.9}.bar:hover{outline:2px solid #000}
.k-batch,.k-gate,.k-drain{top:7px;height:8px}.level-variant .k-wave{top:16px;height:5px}.k-rollback{top:2px;height:18px}
.failed{background-image:repeating-linear-gradient(45deg,transparent 0 3px,rgba(200,0,0,.85) 3px 6px)}
.marker{position:absolute;top:0;width:3px;height:22px;margin-left:-1px}.m-notification{background:#c71585}.m-failure{background:#d00;width:4px}
.axis{position:relative;height:18px;margin-left:261px;margin-right:1px;border-bottom:1px solid #ccc}.tick{position:absolute;top:0;height:100%;border-left:1px solid #bbb}.tick span{position:absolute;left:2px;font-size:11px;color:#666}
#tip{position:fixed;display:none;max-width:480px;background:#222;color:#fff;padding:4px 8px;border-radius:3px;pointer-events:none;font-size:12px}
ul.legend{columns:2;list-style:none;padding:0}.swatch{display:inline-block;width:14px;height:10px;margin-right:6px;vertical-align:middle}
${(Object.keys(COLOURS) as BarKind[]).map((k) => `.k-${k}{background-color:${COLOURS[k]}}`).join('')}`;
  const js = `(function(){var tip=document.getElementById('tip');document.addEventListener('mousemove',function(e){var t=e.target&&e.target.getAttribute&&e.target.getAttribute('data-tip');if(!t){tip.style.display='none';return;}tip.textContent=t;tip.style.display='block';tip.style.left=(e.clientX+12)+'px';tip.style.top=(e.clientY+12)+'px';});})();`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${escape(p.title)}</title><style>${css}</style></head>
<body><h1>${escape(p.title)}</h1><p class="sub">${escape(p.subtitle)}; ${new Date(p.start).toISOString()} to ${new Date(p.end).toISOString()} (${duration(span)})${p.collapsed ? '; node groups shown as waves' : ''}</p>
<div class="axis">${axis}</div>
<div class="chart" id="chart">
${rows}
</div>
<ul class="legend">${legend}</ul>
<div id="tip"></div>
<script>${js}</script>
</body></html>
`;
}
