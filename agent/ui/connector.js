// One connector: status and actions, counters over time, its (masked) config, versions with a
// diff and "activate", and a live log view of both streams with pause and search.

import { apiOk, followLogs } from './api.js';
import { actionButtons, sample } from './list.js';
import { diffLines, el, fmtBytes, fmtRate, fmtUptime, sparkline, toast, yamlDocument } from './util.js';

const MAX_LINES = 5000;

export function connectorPage(root, id, onError) {
  const path = `/connectors/${encodeURIComponent(id)}`;
  const status = el('div', { id: 'status', class: 'card' });
  const config = el('pre', { id: 'config' });
  const versions = el('div', { id: 'versions' });
  const diff = el('pre', { id: 'diff' });
  const logs = logView(id, onError);
  root.append(
    el('div', { class: 'toolbar' }, el('h1', {}, id), el('a', { href: '#/' }, '← all connectors')),
    status,
    el('section', { class: 'card' }, el('h2', {}, 'Logs'), logs.element),
    el('div', { class: 'columns' },
      el('section', { class: 'card' }, el('h2', {}, 'Active config (secrets masked)'), config),
      el('section', { class: 'card' }, el('h2', {}, 'Versions'), versions, diff)));

  let stopped = false;
  async function poll() {
    try {
      const c = await apiOk('GET', path);
      if (stopped) return;
      const r = sample(id, c.metrics);
      const last = r[r.length - 1] || {};
      const m = c.metrics || {};
      status.replaceChildren(
        el('div', { class: 'facts' },
          fact('state', el('span', { id: 'state', class: `badge state-${c.state}` }, c.state)),
          fact('health', el('span', { class: `badge health-${c.health}` }, c.health)),
          fact('runtime', c.runtime), fact('version', c.version), fact('restarts', c.restarts),
          fact('uptime', fmtUptime(m.uptime_ms)), fact('pid', c.pid ?? '—'),
          fact('in/s', fmtRate(last.in), sparkline(r.map((x) => x.in), 120, 24)),
          fact('out/s', fmtRate(last.out), sparkline(r.map((x) => x.out), 120, 24)),
          fact('CPU', last.cpu === undefined ? '—' : `${last.cpu.toFixed(1)}%`, sparkline(r.map((x) => x.cpu || 0), 120, 24)),
          fact('RSS', fmtBytes(m.process?.rss_bytes)),
          fact('messages in / out', `${m.counters?.messages_in ?? 0} / ${m.counters?.messages_out ?? 0}`)),
        ...(c.last_error ? [el('p', { class: 'error-text', id: 'last-error' }, c.last_error)] : []),
        actionButtons(id, c.state, (action) => action === 'delete' ? (location.hash = '#/') : poll(), onError));
      config.textContent = c.config ? yamlDocument(c.config) : '(no config: the file could not be loaded)';
      root.dataset.loaded = 'true';
    } catch (e) { onError(e); }
  }

  async function loadVersions() {
    try {
      const list = await apiOk('GET', `${path}/configs`);
      const all = Array.isArray(list) ? list : list.versions || [];
      const texts = new Map(all.map((v) => [v.version, yamlDocument(v.config)]));
      const pick = (sel, def) => el('select', { id: sel }, all.map((v) => el('option', { value: v.version, selected: v.version === def }, `v${v.version}`)));
      const newest = all.length ? all[all.length - 1].version : 0;
      const a = pick('diff-from', Math.max(1, newest - 1)), b = pick('diff-to', newest);
      const show = () => {
        diff.replaceChildren(...diffLines(texts.get(+a.value) || '', texts.get(+b.value) || '')
          .map((d) => el('div', { class: `diff-${d.op === '+' ? 'add' : d.op === '-' ? 'del' : 'same'}` }, `${d.op} ${d.line}`)));
      };
      a.onchange = show; b.onchange = show;
      versions.replaceChildren(
        el('table', {}, el('tbody', {}, all.map((v) => el('tr', {},
          el('td', {}, `v${v.version}`), el('td', {}, v.origin), el('td', {}, new Date(v.created_at_ms).toLocaleString()),
          el('td', {}, v.active ? el('strong', {}, 'active') : el('button', { class: 'small', 'data-activate': v.version, onclick: () => activate(v.version) }, 'activate')))))),
        el('p', {}, 'Diff ', a, ' → ', b));
      show();
    } catch (e) { onError(e); }
  }

  async function activate(version) {
    try {
      const r = await apiOk('PUT', `${path}/configs/active`, { version });
      toast(r.message || `v${version} is active`);
      loadVersions(); poll();
    } catch (e) { onError(e); }
  }

  poll(); loadVersions(); logs.start();
  const timer = setInterval(poll, 2000);
  return () => { stopped = true; clearInterval(timer); logs.stop(); };
}

function fact(label, ...value) {
  return el('div', { class: 'fact' }, el('span', { class: 'label' }, label), el('span', {}, ...value));
}

/** Both streams live; pause holds new lines back, search filters what is shown. */
function logView(id, onError) {
  const out = el('div', { id: 'log', class: 'log' });
  const show = { stdout: true, stderr: true };
  let paused = false, query = '', held = [];
  const pauseButton = el('button', { id: 'log-pause', class: 'small', onclick: () => {
    paused = !paused;
    pauseButton.textContent = paused ? 'resume' : 'pause';
    if (!paused) { held.forEach(append); held = []; }
  } }, 'pause');
  const count = el('span', { id: 'log-count', class: 'muted' });
  const element = el('div', {},
    el('div', { class: 'toolbar' },
      ['stdout', 'stderr'].map((s) => el('label', {}, el('input', { type: 'checkbox', checked: true, id: `log-${s}`, onchange: (e) => { show[s] = e.target.checked; refilter(); } }), s)),
      pauseButton,
      el('input', { id: 'log-search', type: 'search', placeholder: 'search', oninput: (e) => { query = e.target.value.toLowerCase(); refilter(); } }),
      count),
    out);
  const visible = (d) => show[d.dataset.stream] && (!query || d.textContent.toLowerCase().includes(query));
  function refilter() { for (const d of out.children) d.hidden = !visible(d); }
  function append([stream, line]) {
    const d = el('div', { class: `line ${stream}`, 'data-stream': stream }, line);
    d.hidden = !visible(d);
    const atBottom = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
    out.append(d);
    while (out.children.length > MAX_LINES) out.firstChild.remove();
    if (atBottom) out.scrollTop = out.scrollHeight;
    count.textContent = `${out.children.length} lines`;
  }
  const abort = new AbortController();
  return {
    element,
    start: () => followLogs(id, abort.signal, (stream, line) => paused ? held.push([stream, line]) : append([stream, line]))
      .catch((e) => { if (!abort.signal.aborted) onError(e); }),
    stop: () => abort.abort(),
  };
}
