/**
 * The calibration curve as a picture: precision, coverage and recall of the shown suggestions
 * against the confidence threshold, with the threshold each eagerness level picks. Plain SVG,
 * written by hand because it is three polylines and some text.
 */
import type { CurvePoint, Eagerness } from '../../src/completion';

const W = 640;
const H = 400;
const M = { left: 56, right: 150, top: 40, bottom: 48 };

const x = (t: number): number => M.left + t * (W - M.left - M.right);
const y = (v: number): number => H - M.bottom - v * (H - M.top - M.bottom);

function line(points: readonly CurvePoint[], value: (p: CurvePoint) => number, colour: string, dash = ''): string {
  const d = points.map((p) => `${x(p.threshold).toFixed(1)},${y(value(p)).toFixed(1)}`).join(' ');
  return `<polyline fill="none" stroke="${colour}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${d}"/>`;
}

function axes(): string {
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const grid = ticks.map((t) => `<line x1="${x(0)}" x2="${x(1)}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${x(0) - 8}" y="${y(t) + 4}" text-anchor="end">${t.toFixed(1)}</text><text x="${x(t)}" y="${y(0) + 18}" text-anchor="middle">${t.toFixed(1)}</text>`);
  return `${grid.join('')}<line x1="${x(0)}" x2="${x(1)}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/><line x1="${x(0)}" x2="${x(0)}" y1="${y(0)}" y2="${y(1)}" stroke="#333"/>`;
}

function legend(): string {
  const rows: Array<[string, string, string]> = [['precision', '#1f6feb', ''], ['coverage', '#d1242f', ''], ['recall', '#1a7f37', '6 4']];
  return rows.map(([name, colour, dash], i) => `<line x1="${W - M.right + 16}" x2="${W - M.right + 44}" y1="${M.top + 10 + i * 22}" y2="${M.top + 10 + i * 22}" stroke="${colour}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${W - M.right + 50}" y="${M.top + 14 + i * 22}">${name}</text>`).join('');
}

function markers(thresholds: Readonly<Record<Eagerness, number>>): string {
  return Object.entries(thresholds)
    .map(([level, t], i) => `<line x1="${x(t)}" x2="${x(t)}" y1="${y(0)}" y2="${y(1)}" stroke="#888" stroke-dasharray="3 3"/><text x="${x(t) + 3}" y="${y(1) + 12 + i * 13}" fill="#555">${level} ${t.toFixed(2)}</text>`)
    .join('');
}

export function calibrationSvg(title: string, curve: readonly CurvePoint[], thresholds: Readonly<Record<Eagerness, number>>, measure: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    ...title.split('\n').map((row, i) => `<text x="${M.left}" y="${16 + i * 15}" font-size="${i === 0 ? 14 : 12}"${i === 0 ? ' font-weight="bold"' : ''}>${row.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`),
    axes(),
    markers(thresholds),
    // Where nothing is shown any more, precision is undefined: its line stops there.
    line(curve.filter((p) => p.coverage > 0), (p) => p.precision, '#1f6feb'),
    line(curve, (p) => p.coverage, '#d1242f'),
    line(curve, (p) => p.recall, '#1a7f37', '6 4'),
    legend(),
    `<text x="${(x(0) + x(1)) / 2}" y="${H - 10}" text-anchor="middle">confidence threshold (${measure} of the first line's token probabilities)</text>`,
    '</svg>',
    '',
  ].join('\n');
}
