// "New connector": pick a runtime and its source and sink, fill a form generated from the
// components' config JSON Schemas (GET /runtimes/{name}/sources|sinks/{c}/schema), validate as
// you type (POST /connectors/validate), see the YAML, create (POST /connectors).

import { api, apiOk } from './api.js';
import { fieldsOf } from './schema.js';
import { el, toast, yamlDocument } from './util.js';

export function createPage(root, onError) {
  const form = el('form', { id: 'create-form', class: 'card', novalidate: true });
  const yaml = el('pre', { id: 'yaml' });
  const general = el('ul', { id: 'form-errors', class: 'error-text' });
  root.append(el('div', { class: 'toolbar' }, el('h1', {}, 'New connector')),
    el('div', { class: 'columns' }, form, el('section', { class: 'card' }, el('h2', {}, 'YAML'), yaml, general)));

  const id = el('input', { id: 'field-id', 'data-path': 'id', required: true, placeholder: 'my-connector' });
  const description = el('input', { id: 'field-description', 'data-path': 'description' });
  const runtime = el('select', { id: 'runtime' });
  const source = el('select', { id: 'source' });
  const sink = el('select', { id: 'sink' });
  const sourceFields = el('fieldset', { id: 'source-fields' });
  const sinkFields = el('fieldset', { id: 'sink-fields' });
  const create = el('button', { type: 'submit', id: 'create' }, 'Create');
  form.append(
    row('id', id), row('description', description), row('runtime', runtime),
    row('source', source), sourceFields, row('sink', sink), sinkFields, create);

  let runtimes = [];
  const specs = { source: null, sink: null };
  const pending = { source: '', sink: '' };
  let timer = null;

  async function loadRuntimes() {
    try {
      const r = await apiOk('GET', '/runtimes');
      runtimes = r.runtimes || [];
      runtime.replaceChildren(...runtimes.map((x) => el('option', { value: x.name }, `${x.name}${x.label ? ` — ${x.label}` : ''}`)));
      await pickRuntime();
    } catch (e) { onError(e); }
  }

  async function pickRuntime() {
    const rt = runtimes.find((x) => x.name === runtime.value) || { sources: [], sinks: [] };
    source.replaceChildren(...rt.sources.map((c) => el('option', { value: c }, c)));
    sink.replaceChildren(...rt.sinks.map((c) => el('option', { value: c }, c)));
    await Promise.all([pickComponent('source'), pickComponent('sink')]);
  }

  async function pickComponent(step) {
    const select = step === 'source' ? source : sink;
    const box = step === 'source' ? sourceFields : sinkFields;
    box.replaceChildren();
    specs[step] = null;
    if (!select.value) { changed(); return; }
    // A later pick wins: answers for an earlier runtime or component are dropped.
    const wanted = `${runtime.value}/${select.value}`;
    pending[step] = wanted;
    try {
      const schema = await apiOk('GET', `/runtimes/${encodeURIComponent(runtime.value)}/${step}s/${encodeURIComponent(select.value)}/schema`);
      if (pending[step] !== wanted) return;
      box.replaceChildren();
      specs[step] = schema;
      box.append(el('legend', {}, `${step}: ${schema.title || select.value}`), schema.description ? el('p', { class: 'muted' }, schema.description) : '',
        ...fieldsOf(schema).map((f) => fieldInput(step, f)));
      changed();
      root.dataset.loaded = 'true';
    } catch (e) { onError(e); }
  }

  function docOf() {
    const doc = { id: id.value.trim() };
    if (description.value.trim()) doc.description = description.value.trim();
    doc.runtime = runtime.value;
    doc.steps = {};
    for (const step of ['source', 'sink']) {
      const select = step === 'source' ? source : sink;
      if (!select.value) continue;
      const config = {};
      for (const input of form.querySelectorAll(`[data-step="${step}"]`)) {
        const v = valueOf(input);
        if (v !== undefined) config[input.dataset.name] = v;
      }
      doc.steps[step] = Object.keys(config).length ? { type: select.value, config } : { type: select.value };
    }
    return doc;
  }

  function changed() {
    yaml.textContent = yamlDocument(docOf());
    clearTimeout(timer);
    timer = setTimeout(validate, 300);
  }

  async function validate() {
    try {
      const r = await api('POST', '/connectors/validate', docOf());
      showErrors(r.ok ? [] : r.body?.details || [{ path: '', reason: r.body?.message || `HTTP ${r.status}` }]);
      form.dataset.valid = String(r.ok);
    } catch (e) { onError(e); }
  }

  function showErrors(details) {
    form.querySelectorAll('.field-error').forEach((e) => e.remove());
    form.querySelectorAll('.invalid').forEach((e) => e.classList.remove('invalid'));
    general.replaceChildren();
    for (const d of details) {
      const input = [...form.querySelectorAll('[data-path]')].find((i) => d.path === i.dataset.path || d.path.startsWith(`${i.dataset.path}.`) || d.path.startsWith(`${i.dataset.path}[`));
      if (input) {
        input.classList.add('invalid');
        input.closest('.row').append(el('div', { class: 'field-error', 'data-error-path': d.path }, d.reason));
      } else {
        general.append(el('li', { 'data-error-path': d.path }, d.path ? `${d.path}: ${d.reason}` : d.reason));
      }
    }
  }

  form.addEventListener('input', changed);
  form.addEventListener('change', (e) => {
    if (e.target === runtime) pickRuntime();
    else if (e.target === source) pickComponent('source');
    else if (e.target === sink) pickComponent('sink');
    else changed();
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/connectors', docOf());
      if (r.status === 201) {
        toast(`created ${r.body?.id || id.value}`);
        location.hash = `#/connectors/${encodeURIComponent(id.value.trim())}`;
      } else {
        showErrors(r.body?.details?.length ? r.body.details : [{ path: '', reason: r.body?.message || `HTTP ${r.status}` }]);
        form.dataset.valid = 'false';
      }
    } catch (e) { onError(e); }
  });

  loadRuntimes();
  return () => clearTimeout(timer);
}

function row(label, input, help) {
  return el('div', { class: 'row' }, el('label', { for: input.id }, label), input, help ? el('div', { class: 'help' }, help) : null);
}

/** One input per field (from `fieldsOf`): checkbox, number, select (enum), password (secret), text or JSON. */
function fieldInput(step, f) {
  const allowed = f.enum;
  const common = { id: `field-${step}-${f.name}`, 'data-step': step, 'data-name': f.name, 'data-type': f.type, 'data-kind': f.kind || 'scalar', 'data-path': `steps.${step}.config.${f.name}`, 'data-optional': f.optional ? 'true' : null };
  const def = f.default;
  let input;
  if (allowed) {
    input = el('select', common, def === undefined ? el('option', { value: '' }, '') : null,
      allowed.map((v) => el('option', { value: JSON.stringify(v), selected: JSON.stringify(v) === JSON.stringify(def) }, String(v))));
  } else if ((f.kind || 'scalar') !== 'scalar' || f.type === 'object') {
    input = el('textarea', { ...common, rows: 3, placeholder: 'JSON' }, def === undefined ? '' : JSON.stringify(def));
  } else if (f.type === 'bool') {
    input = el('input', { ...common, type: 'checkbox', checked: def === true });
  } else if (f.type === 'int' || f.type === 'float') {
    input = el('input', { ...common, type: 'number', step: f.type === 'int' ? '1' : 'any', min: f.min, max: f.max, value: def ?? '' });
  } else {
    input = el('input', { ...common, type: f.secret ? 'password' : 'text', autocomplete: f.secret ? 'new-password' : 'off', value: def ?? '', placeholder: f.examples?.length ? String(f.examples[0]) : '' });
  }
  const label = `${f.label || f.name}${f.optional ? '' : ' *'}`;
  return row(label, input, [f.description, f.secret ? '(secret: never shown again once saved)' : ''].filter(Boolean).join(' '));
}

/** The value of a generated input; undefined leaves the field out of the document. */
function valueOf(input) {
  const t = input.dataset.type;
  if (input.type === 'checkbox') return input.checked;
  const raw = input.value;
  if (raw === '') return undefined;
  if (input.tagName === 'SELECT') return JSON.parse(raw);
  if (input.tagName === 'TEXTAREA') { try { return JSON.parse(raw); } catch { return raw; } }
  if (t === 'int' || t === 'float') { const n = Number(raw); return Number.isNaN(n) ? raw : n; }
  return raw;
}
