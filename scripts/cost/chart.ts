/**
 * A small log–log line chart as an SVG string: deterministic (same input,
 * same bytes), no dependencies, readable on GitHub.
 */
export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: [number, number][];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Tick labels for the axes. */
  formatX: (value: number) => string;
  formatY: (value: number) => string;
}

const WIDTH = 760;
const HEIGHT = 460;
const MARGIN = { top: 48, right: 190, bottom: 56, left: 78 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const decadesBetween = (lo: number, hi: number) => {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
};

const n1 = (v: number) => v.toFixed(1);

export function logLogChart(spec: ChartSpec): string {
  const points = spec.series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0);
  if (points.length === 0) throw new Error('nothing to plot');
  const xs = decadesBetween(Math.min(...points.map((p) => p[0])), Math.max(...points.map((p) => p[0])));
  const ys = decadesBetween(Math.min(...points.map((p) => p[1])), Math.max(...points.map((p) => p[1])));
  const [x0, x1] = [Math.log10(xs[0] as number), Math.log10(xs[xs.length - 1] as number)];
  const [y0, y1] = [Math.log10(ys[0] as number), Math.log10(ys[ys.length - 1] as number)];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + ((Math.log10(x) - x0) / (x1 - x0)) * plotW;
  const py = (y: number) => MARGIN.top + plotH - ((Math.log10(y) - y0) / (y1 - y0)) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="26" font-size="15" font-weight="600">${escapeXml(spec.title)}</text>`,
  ];
  for (const x of xs) {
    out.push(`<line x1="${n1(px(x))}" y1="${MARGIN.top}" x2="${n1(px(x))}" y2="${MARGIN.top + plotH}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${n1(px(x))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle" fill="#374151">${escapeXml(spec.formatX(x))}</text>`);
  }
  for (const y of ys) {
    out.push(`<line x1="${MARGIN.left}" y1="${n1(py(y))}" x2="${MARGIN.left + plotW}" y2="${n1(py(y))}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${MARGIN.left - 8}" y="${n1(py(y) + 4)}" text-anchor="end" fill="#374151">${escapeXml(spec.formatY(y))}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#9ca3af"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 14}" text-anchor="middle" fill="#111827">${escapeXml(spec.xLabel)}</text>`);
  out.push(
    `<text x="18" y="${MARGIN.top + plotH / 2}" text-anchor="middle" fill="#111827" transform="rotate(-90 18 ${MARGIN.top + plotH / 2})">${escapeXml(spec.yLabel)}</text>`,
  );
  spec.series.forEach((s, i) => {
    const path = s.points
      .filter(([x, y]) => x > 0 && y > 0)
      .map(([x, y]) => `${n1(px(x))},${n1(py(y))}`)
      .join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2.2"${dash}/>`);
    const ly = MARGIN.top + 10 + i * 22;
    const lx = MARGIN.left + plotW + 14;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${s.color}" stroke-width="2.2"${dash}/>`);
    out.push(`<text x="${lx + 28}" y="${ly + 4}" fill="#111827">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
