// Every call to the agent's API: the key (entered once, kept in sessionStorage) goes as the
// `api-key` header; live views use fetch streaming because EventSource cannot send headers.

const KEY = 'connect-api-key';

export function getKey() { return sessionStorage.getItem(KEY) || ''; }
export function setKey(key) {
  if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY);
}

function headers(extra = {}) {
  const h = { ...extra };
  const key = getKey();
  if (key) h['api-key'] = key;
  return h;
}

/** The API refused the key: the app shows the key form. */
export class Unauthorized extends Error {}

/** {status, body} where body is the parsed JSON (or null). Throws Unauthorized on 401. */
export async function api(method, path, body) {
  const init = { method, headers: headers(), credentials: 'same-origin' };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['content-type'] = typeof body === 'string' ? 'application/yaml' : 'application/json';
  }
  const r = await fetch(path, init);
  if (r.status === 401) throw new Unauthorized('the API key is missing or wrong');
  const text = await r.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = { message: text }; }
  return { status: r.status, ok: r.ok, body: parsed };
}

/** Like api(), but throws with the API's message on an error status. */
export async function apiOk(method, path, body) {
  const r = await api(method, path, body);
  if (!r.ok) throw new Error(`${method} ${path}: ${r.body?.message || r.status}`);
  return r.body;
}

/**
 * Follows a connector's logs (SSE over fetch). `onLine(stream, line)` per event; returns when
 * the stream ends or `signal` aborts.
 */
export async function followLogs(id, signal, onLine) {
  const r = await fetch(`/connectors/${encodeURIComponent(id)}/logs?follow=true&tail=200`, {
    headers: headers({ accept: 'text/event-stream' }), signal,
  });
  if (r.status === 401) throw new Unauthorized('the API key is missing or wrong');
  if (!r.ok) throw new Error(`logs: HTTP ${r.status}`);
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      let event = 'message';
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onLine(event, data.join('\n'));
    }
  }
}
