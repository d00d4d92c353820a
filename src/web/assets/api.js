// The dashboard's only data source: the public API, with the session cookie (sent by the browser) and, on
// writes, the session's CSRF token in x-csrf-token.

let session = null;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function signInAgain() {
  location.assign('/sign-in');
  return new ApiError(401, 'signed out');
}

async function call(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['x-csrf-token'] = session?.csrf ?? '';
    if (body !== undefined) headers['content-type'] = 'application/json';
  }
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) throw signInAgain();
  if (res.status === 204) return null;
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) throw new ApiError(res.status, json?.error ?? `${res.status} ${res.statusText}`);
  return json;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);
export const del = (path) => call('DELETE', path);

/** A GET whose 404 means "nothing there (yet)": resolves to null instead of failing. */
export async function maybe(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** Every page of a cursor-paginated list (`next` or `nextCursor`), up to `max` items. */
export async function all(path, max = 5000) {
  const items = [];
  let cursor = null;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(`${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.next ?? page.nextCursor ?? null;
    if (!cursor || items.length >= max) return { ...page, items };
  }
}

export async function loadSession() {
  session = await get('/api/v1/session');
  return session;
}

export const currentSession = () => session;
export const canWrite = () => session?.scope === 'write' || session?.scope === 'admin';

export async function signOut() {
  try {
    await del('/api/v1/session');
  } finally {
    location.assign('/sign-in');
  }
}

export const enc = encodeURIComponent;
