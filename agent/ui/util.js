// Small DOM and formatting helpers shared by the dashboard's pages.

/** el('div', {class: 'x', onclick: f}, child, 'text') */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'value') e.value = v;
    else if (k === 'checked') e.checked = !!v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function fmtUptime(ms) {
  if (!ms) return '—';
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400); s %= 86400;
  const h = Math.floor(s / 3600); s %= 3600;
  const m = Math.floor(s / 60); s %= 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

export function fmtBytes(n) {
  if (n === undefined || n === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function fmtRate(r) {
  if (r === undefined || r === null || Number.isNaN(r)) return '—';
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}

/** An inline SVG polyline of `values` (newest last). */
export function sparkline(values, width = 80, height = 20) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  if (values.length > 1) {
    const max = Math.max(...values, 1e-9);
    const step = width / (values.length - 1);
    const pts = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`);
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', pts.join(' '));
    svg.append(line);
  }
  return svg;
}

/** A modal confirmation; resolves true when the operator confirms. */
export function confirmDialog(message) {
  return new Promise((resolve) => {
    const dialog = el('dialog', { id: 'confirm' },
      el('p', { id: 'confirm-message' }, message),
      el('div', { class: 'buttons' },
        el('button', { id: 'confirm-cancel', onclick: () => done(false) }, 'Cancel'),
        el('button', { id: 'confirm-ok', class: 'danger', onclick: () => done(true) }, 'Confirm')));
    function done(ok) { dialog.close(); dialog.remove(); resolve(ok); }
    dialog.addEventListener('cancel', () => done(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A short message at the bottom of the page. */
export function toast(message, kind = 'info') {
  const t = el('div', { class: `toast ${kind}` }, message);
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), 5000);
}

/** YAML for a JSON value (block style, strings quoted only when needed). */
export function toYaml(value, indent = '') {
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return value.map((v) => {
      const inner = toYaml(v, indent + '  ');
      return `\n${indent}- ${isBlock(v) ? inner.trimStart() : inner}`;
    }).join('');
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (!keys.length) return '{}';
    return keys.map((k) => {
      const v = value[k];
      const inner = toYaml(v, indent + '  ');
      return `\n${indent}${scalar(k)}:${isBlock(v) ? inner : ' ' + inner}`;
    }).join('');
  }
  return scalar(value);
}

function isBlock(v) {
  return v && typeof v === 'object' && Object.keys(v).length > 0;
}

function scalar(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v !== 'string') return String(v);
  if (v === '' || /^[\s\-?:,\[\]{}#&*!|>'"%@`]|[:#]\s|\s$|^(true|false|null|yes|no|on|off|~)$/i.test(v)
    || /^[-+]?[\d.]/.test(v) || v.includes('\n')) return JSON.stringify(v);
  return v;
}

/** A document as YAML text (without the leading newline). */
export function yamlDocument(value) {
  return toYaml(value).replace(/^\n/, '') + '\n';
}

/** Line diff of two texts: [{op: ' '|'-'|'+', line}] (longest common subsequence). */
export function diffLines(a, b) {
  const x = a.split('\n'), y = b.split('\n');
  const n = x.length, m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push({ op: ' ', line: x[i] }); i++; j++; }
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: '-', line: x[i++] });
    else out.push({ op: '+', line: y[j++] });
  }
  while (i < n) out.push({ op: '-', line: x[i++] });
  while (j < m) out.push({ op: '+', line: y[j++] });
  return out;
}
