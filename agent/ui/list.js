// The connectors list: state, health, last error, restarts, uptime, messages in/out per second
// with sparklines, CPU and RSS, polled every 2 s; filters; start/stop/restart/delete.

import { apiOk } from './api.js';
import { confirmDialog, el, fmtBytes, fmtRate, fmtUptime, sparkline, toast } from './util.js';

const STATES = ['starting', 'running', 'backoff', 'stopping', 'stopped', 'completed', 'failed', 'placed_elsewhere'];
const DIRECTIONS = ['inlet', 'outlet', 'bridge', 'pipe'];
const HISTORY = 30;
/** Samples per connector id, kept across page visits: [{t, in, out, cpu}] */
const history = new Map();

/** Adds a sample and returns the rates derived from the newest two. */
export function sample(id, metrics) {
  const c = metrics?.counters || {};
  const s = { t: performance.now(), in: c.messages_in || 0, out: c.messages_out || 0, cpu: metrics?.process?.cpu_seconds };
  const h = history.get(id) || [];
  h.push(s);
  while (h.length > HISTORY + 1) h.shift();
  history.set(id, h);
  return rates(h);
}

function rates(h) {
  const points = [];
  for (let i = 1; i < h.length; i++) {
    const dt = (h[i].t - h[i - 1].t) / 1000;
    if (dt <= 0) continue;
    points.push({
      in: Math.max(0, (h[i].in - h[i - 1].in) / dt),
      out: Math.max(0, (h[i].out - h[i - 1].out) / dt),
      cpu: h[i].cpu !== undefined && h[i - 1].cpu !== undefined ? Math.max(0, (h[i].cpu - h[i - 1].cpu) / dt * 100) : undefined,
    });
  }
  return points;
}

export function actionButtons(id, state, refresh, onError) {
  const running = ['starting', 'running', 'backoff'].includes(state);
  // Another agent of the cluster runs it: start, stop and restart belong to that agent (409 here).
  const here = state !== 'placed_elsewhere';
  const act = async (action) => {
    const verb = action === 'delete' ? 'Delete' : action[0].toUpperCase() + action.slice(1);
    if (!await confirmDialog(`${verb} connector ${id}?`)) return;
    try {
      if (action === 'delete') await apiOk('DELETE', `/connectors/${encodeURIComponent(id)}`);
      else await apiOk('POST', `/connectors/${encodeURIComponent(id)}/${action}`);
      toast(`${verb}: ${id}`);
      refresh(action);
    } catch (e) { onError(e); }
  };
  const b = (action, enabled) => el('button', { class: `small ${action === 'delete' ? 'danger' : ''}`, 'data-action': action, 'data-id': id, disabled: !enabled, onclick: () => act(action) }, action);
  return el('span', { class: 'actions' }, b('start', here && !running), b('stop', here && running), b('restart', here), b('delete', true));
}

export function listPage(root, onError) {
  const filters = { state: '', runtime: '', direction: '' };
  const select = (name, values) => el('select', { id: `filter-${name}`, onchange: (e) => { filters[name] = e.target.value; render(); } },
    el('option', { value: '' }, `any ${name}`), values.map((v) => el('option', { value: v }, v)));
  const runtimeSelect = select('runtime', []);
  const tbody = el('tbody');
  const empty = el('p', { class: 'muted', id: 'empty', hidden: true }, 'No connectors match.');
  root.append(
    el('div', { class: 'toolbar' }, el('h1', {}, 'Connectors'), select('state', STATES), runtimeSelect, select('direction', DIRECTIONS)),
    el('table', { id: 'connectors' },
      el('thead', {}, el('tr', {}, ['id', 'runtime', 'direction', 'state', 'health', 'last error', 'restarts', 'uptime', 'in/s', 'out/s', 'CPU', 'RSS', ''].map((h) => el('th', {}, h)))),
      tbody),
    empty);
  let rows = [];
  let stopped = false;

  async function poll() {
    try {
      const list = await apiOk('GET', '/connectors');
      const details = await Promise.all(list.map((c) => apiOk('GET', `/connectors/${encodeURIComponent(c.id)}`).catch(() => null)));
      rows = list.map((c, i) => ({ c, m: details[i]?.metrics, r: sample(c.id, details[i]?.metrics) }));
      const runtimes = [...new Set(list.map((c) => c.runtime))].sort();
      const have = [...runtimeSelect.options].slice(1).map((o) => o.value);
      if (runtimes.join() !== have.join()) {
        runtimeSelect.replaceChildren(el('option', { value: '' }, 'any runtime'), runtimes.map((v) => el('option', { value: v, selected: v === filters.runtime }, v)));
      }
      if (!stopped) render();
    } catch (e) { onError(e); }
  }

  function render() {
    const shown = rows.filter(({ c }) => (!filters.state || c.state === filters.state)
      && (!filters.runtime || c.runtime === filters.runtime)
      && (!filters.direction || c.direction === filters.direction));
    tbody.replaceChildren(...shown.map(({ c, m, r }) => {
      const last = r[r.length - 1] || {};
      const p = m?.process;
      return el('tr', { 'data-id': c.id, 'data-state': c.state },
        el('td', {}, el('a', { href: `#/connectors/${encodeURIComponent(c.id)}` }, c.id), c.description ? el('div', { class: 'muted' }, c.description) : null),
        el('td', {}, c.runtime),
        el('td', {}, c.direction || '—'),
        el('td', {}, el('span', { class: `badge state-${c.state}` }, c.state)),
        el('td', {}, el('span', { class: `badge health-${c.health}` }, c.health)),
        el('td', { class: 'error-text' }, c.last_error || ''),
        el('td', { class: 'num' }, c.restarts),
        el('td', { class: 'num' }, fmtUptime(m?.uptime_ms)),
        el('td', { class: 'num' }, fmtRate(last.in), sparkline(r.map((x) => x.in))),
        el('td', { class: 'num' }, fmtRate(last.out), sparkline(r.map((x) => x.out))),
        el('td', { class: 'num' }, last.cpu === undefined ? '—' : `${last.cpu.toFixed(1)}%`),
        el('td', { class: 'num' }, fmtBytes(p?.rss_bytes)),
        el('td', {}, actionButtons(c.id, c.state, poll, onError)));
    }));
    empty.hidden = shown.length > 0;
    root.dataset.loaded = 'true';
  }

  poll();
  const timer = setInterval(poll, 2000);
  return () => { stopped = true; clearInterval(timer); };
}
