// Charts through uPlot (bundled, served by us). Time series only: x is seconds since the epoch.
import uPlot from './uplot.js';
import { h } from './dom.js';

const PALETTE = { critical: '#d93025', high: '#e8710a', medium: '#c99a06', low: '#4a90b8', value: '#0b57d0', second: '#1a7f37' };

function cssColor(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * A chart card: `series` = [{ label, color, values }] over `times` (ISO strings). Empty data gives a line of text
 * saying what would fill it, never an empty frame.
 */
export function timeChart({ title, times, series, emptyText, yLabel, id }) {
  const card = h('section', { class: 'card chart', 'aria-label': title, id }, h('h3', {}, title));
  if (!times.length) {
    card.append(h('p', { class: 'muted' }, emptyText));
    return card;
  }
  const data = [times.map((t) => Date.parse(t) / 1000), ...series.map((s) => s.values)];
  const fg = cssColor('--muted', '#57606a');
  const grid = cssColor('--line', '#d0d7de');
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const holder = h('div', { class: 'plot' });
  card.append(holder);
  const opts = {
    width: 400,
    height: 180,
    scales: { x: { time: true } },
    axes: [axis, { ...axis, label: yLabel, size: 50 }],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: PALETTE[s.color] ?? s.color ?? PALETTE.value, width: 2, points: { show: times.length < 30 } }))],
    legend: { show: true },
  };
  // Sized to its card once it is in the document, and again when the window changes.
  requestAnimationFrame(() => {
    const plot = new uPlot({ ...opts, width: Math.max(260, holder.clientWidth || 400) }, data, holder);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(260, holder.clientWidth), height: 180 }));
    ro.observe(holder);
  });
  return card;
}
