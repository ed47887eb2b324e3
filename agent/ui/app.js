// The dashboard's shell: hash routing between the pages, the API-key form, and connect's own
// statistics in the header (GET /system/stats).

import { Unauthorized, apiOk, getKey, setKey } from './api.js';
import { el, fmtBytes, fmtUptime, toast } from './util.js';
import { listPage } from './list.js';
import { connectorPage } from './connector.js';
import { createPage } from './create.js';

const main = document.getElementById('main');
let cleanup = null;

/** Pages return a function that stops their timers and streams. */
async function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  main.replaceChildren();
  delete main.dataset.loaded;
  const hash = location.hash.replace(/^#/, '') || '/';
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.getAttribute('href') === `#${hash}`));
  try {
    await apiOk('GET', '/system/stats');
  } catch (e) {
    if (e instanceof Unauthorized) { keyForm(); return; }
  }
  const onError = (e) => {
    if (e instanceof Unauthorized) keyForm();
    else toast(e.message, 'error');
  };
  if (hash === '/new') cleanup = createPage(main, onError);
  else if (hash.startsWith('/connectors/')) cleanup = connectorPage(main, decodeURIComponent(hash.slice(12)), onError);
  else cleanup = listPage(main, onError);
}

function keyForm() {
  if (cleanup) { cleanup(); cleanup = null; }
  const input = el('input', { id: 'key-input', type: 'password', autocomplete: 'off', placeholder: 'api key' });
  const form = el('form', { id: 'key-form', class: 'card' },
    el('h2', {}, 'API key'),
    el('p', {}, getKey() ? 'The agent refused this key. Enter the key from [http] api_key.' : 'This agent needs its API key ([http] api_key). It is kept for this browser tab only.'),
    input, ' ', el('button', { type: 'submit', id: 'key-submit' }, 'Use key'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    setKey(input.value.trim());
    route();
  });
  main.replaceChildren(form);
  input.focus();
}

async function systemStats() {
  const box = document.getElementById('system');
  try {
    const s = await apiOk('GET', '/system/stats');
    const t = s.totals || {};
    const p = t.agent_process || {};
    const states = Object.entries(t.by_state || {}).map(([k, v]) => `${v} ${k}`).join(', ');
    box.replaceChildren(
      el('span', { title: 'agent version' }, `v${s.version}`),
      el('span', {}, `up ${fmtUptime(t.agent_uptime_ms)}`),
      el('span', {}, `RSS ${fmtBytes(p.rss_bytes)}`),
      el('span', { id: 'system-connectors' }, `${t.connectors ?? 0} connectors${states ? ` (${states})` : ''}`));
  } catch {
    box.replaceChildren();
  }
}

document.getElementById('key-button').addEventListener('click', keyForm);
window.addEventListener('hashchange', route);
route();
systemStats();
setInterval(systemStats, 2000);
