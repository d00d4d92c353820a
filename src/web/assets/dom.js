// DOM helpers of the dashboard. Every text that came from the API is put in with text nodes, never parsed as
// HTML: package names, advisory titles and commit messages are hostile input.

const SVG = 'http://www.w3.org/2000/svg';

/** h('a', { href, class: 'x', onclick }, 'text', child) — attributes set one by one, children as nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  return fill(el, attrs, children);
}

function fill(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG, tag), attrs, children);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

const UNITS = [['y', 365 * 86400], ['mo', 30 * 86400], ['d', 86400], ['h', 3600], ['min', 60], ['s', 1]];

export function relative(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  const d = Math.round((now - t) / 1000);
  const a = Math.abs(d);
  if (a < 45) return d >= 0 ? 'just now' : 'in a moment';
  for (const [u, n] of UNITS) if (a >= n) return d >= 0 ? `${Math.floor(a / n)} ${u} ago` : `in ${Math.floor(a / n)} ${u}`;
  return 'just now';
}

export function absolute(iso) {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return String(iso);
  return `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A time: relative text, the absolute time beside it (`full`) or in its tooltip. */
export function when(iso, full = false) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: absolute(iso) }, relative(iso), full ? h('span', { class: 'muted' }, ` (${absolute(iso)})`) : null);
}

export function num(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function pct(ratio, digits = 1) {
  return ratio === null || ratio === undefined ? '—' : `${num(ratio * 100, digits)} %`;
}

/** A small line of the last values (oldest first), drawn as SVG elements (no inline styles: the CSP forbids them). */
export function sparkline(values, label) {
  const w = 80;
  const hgt = 20;
  const svg = s('svg', { class: 'spark', width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': label });
  if (!values || values.length === 0) return svg;
  const max = Math.max(...values, 1);
  const step = values.length > 1 ? (w - 4) / (values.length - 1) : 0;
  const pts = values.map((v, i) => [2 + i * step, hgt - 2 - (v / max) * (hgt - 4)]);
  svg.append(s('title', {}, label));
  if (pts.length > 1) svg.append(s('polyline', { points: pts.map((p) => p.map((x) => x.toFixed(1)).join(',')).join(' ') }));
  const last = pts[pts.length - 1];
  svg.append(s('circle', { cx: last[0].toFixed(1), cy: last[1].toFixed(1), r: 2 }));
  return svg;
}

export function severityCell(n, sev) {
  return h('td', { class: ['num', n ? `sev-${sev}` : 'zero'] }, num(n));
}

export function pill(text, kind) {
  return h('span', { class: ['pill', kind] }, text);
}

export function empty(...children) {
  return h('div', { class: 'empty', role: 'status' }, ...children);
}

export function heading(text, ...rest) {
  return h('h1', {}, text, ...rest);
}

/**
 * A sortable table. `columns`: [{ key, label, num?, value(row) → sortable, cell(row) → node|string }]. `sort` is
 * "key" or "-key"; `onSort(newSort)` is called when a header is activated (a button, so keyboard works).
 */
export function table({ columns, rows, sort, onSort, caption, rowClass, label }) {
  const desc = sort?.startsWith('-');
  const sortKey = sort?.replace(/^-/, '');
  const thead = h('thead', {}, h('tr', {}, columns.map((c) => {
    const active = c.key === sortKey;
    const label = c.sortable === false || !onSort ? c.label : h('button', { type: 'button', class: 'sort', onclick: () => onSort(active && !desc ? `-${c.key}` : c.key) }, c.label);
    return h('th', { scope: 'col', class: [c.num && 'num', c.narrow && 'hide-narrow'], 'aria-sort': active ? (desc ? 'descending' : 'ascending') : undefined }, label);
  })));
  const tbody = h('tbody', {}, rows.map((r) => h('tr', { class: rowClass?.(r) }, columns.map((c) => {
    const v = c.cell ? c.cell(r) : (c.value ? c.value(r) : r[c.key]);
    if (v instanceof Node && v.nodeName === 'TD') {
      if (c.narrow) v.classList.add('hide-narrow');
      return v;
    }
    return h('td', { class: [c.num && 'num', c.narrow && 'hide-narrow'] }, v ?? '—');
  }))));
  // Focusable so a table wider than the screen can be scrolled with the keyboard.
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': label ?? caption ?? columns.map((c) => c.label).slice(0, 3).join(', ') }, h('table', {}, caption ? h('caption', { class: 'muted' }, caption) : null, thead, tbody));
}

/** Sorts rows by a column's `value` (numbers numerically, missing values last whatever the direction). */
export function sortRows(rows, columns, sort) {
  if (!sort) return rows;
  const desc = sort.startsWith('-');
  const col = columns.find((c) => c.key === sort.replace(/^-/, ''));
  if (!col) return rows;
  const val = col.value ?? ((r) => r[col.key]);
  return [...rows].sort((a, b) => {
    const x = val(a);
    const y = val(b);
    const xm = x === null || x === undefined;
    const ym = y === null || y === undefined;
    if (xm || ym) return xm === ym ? 0 : xm ? 1 : -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return desc ? -c : c;
  });
}

/**
 * A long list: a filter box (when `text` is given) and the first `size` rows, with a button for the rest — a
 * service with a thousand locked packages stays readable.
 */
export function longTable({ columns, rows, size = 50, text, label, id }) {
  let limit = size;
  let filter = '';
  const holder = h('div', {});
  const draw = () => {
    const matching = filter && text ? rows.filter((r) => text(r).toLowerCase().includes(filter)) : rows;
    const shown = matching.slice(0, limit);
    holder.replaceChildren(...[
      table({ columns, rows: shown, label }),
      matching.length > shown.length ? h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: () => { limit += 200; draw(); } }, `Show more (${matching.length - shown.length} not shown)`)) : null,
      filter && matching.length === 0 ? empty('Nothing matches.') : null,
    ].filter(Boolean));
  };
  draw();
  const box = text ? h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() }, h('label', {}, `Filter ${label}`, h('input', { type: 'search', id, oninput: (e) => { filter = e.target.value.trim().toLowerCase(); limit = size; draw(); } }))) : null;
  return h('div', {}, box, holder);
}
