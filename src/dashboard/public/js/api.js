// @ts-check
/** Calls to the churnwatch API with the signed-in key as a Bearer header. */

export class ApiError extends Error {
  /** @param {number} status @param {any} body */
  constructor(status, body) {
    super(typeof body?.message === 'string' ? body.message : `The service answered ${status}`);
    this.status = status;
    this.body = body;
  }
}

/**
 * @typedef {{ method?: string, body?: unknown, signal?: AbortSignal, key?: string }} RequestOptions
 * @typedef {{ getKey: () => string | null, onUnauthorized: (message: string) => void }} ApiHooks
 */

export class Api {
  /** @param {ApiHooks} hooks */
  constructor(hooks) {
    this.hooks = hooks;
  }

  /**
   * JSON in and out; throws ApiError for any answer but 2xx. A 401 also signs out.
   * @param {string} path
   * @param {RequestOptions} [options]
   */
  async json(path, options = {}) {
    const res = await this.fetch(path, options);
    if (res.status === 204) return null;
    return res.json();
  }

  /**
   * Fetches a file (e.g. the CSV export) and has the browser save it: a Blob behind an
   * object URL and a download link, so the key stays in a header.
   * @param {string} path
   * @param {string} filename used when the answer names none (Content-Disposition)
   * @param {{ signal?: AbortSignal }} [options]
   */
  async download(path, filename, options = {}) {
    const res = await this.fetch(path, { ...options, accept: 'text/csv' });
    const url = URL.createObjectURL(await res.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? filename;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    // Revoked on a later turn: the download has started by then.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /**
   * @param {string} path
   * @param {RequestOptions & { accept?: string }} options
   */
  async fetch(path, { method = 'GET', body, signal, key, accept = 'application/json' }) {
    const token = key ?? this.hooks.getKey();
    /** @type {Record<string, string>} */
    const headers = { Accept: accept };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
      credentials: 'same-origin',
    });
    if (res.ok) return res;
    const answer = await res.json().catch(() => null);
    const error = new ApiError(res.status, answer);
    // Not while signing in (an explicit key): the sign-in form reports that itself.
    if (res.status === 401 && key === undefined) this.hooks.onUnauthorized(error.message);
    throw error;
  }
}

/** True for the error fetch throws when a view's requests are cancelled on navigation. @param {unknown} err */
export const isAbort = (err) => err instanceof DOMException && err.name === 'AbortError';

/**
 * A query string from filters, leaving out empty ones.
 * @param {Record<string, string | number | null | undefined>} params
 */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}
