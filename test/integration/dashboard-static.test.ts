import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_KEYS } from '../../src/features/feature-catalog';
import { startTestApp, TestApp } from '../support/test-app';

const PUBLIC = join(__dirname, '../../src/dashboard/public');

/** Every file of the dashboard, as its path under public/. */
function publicFiles(folder = PUBLIC): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? publicFiles(join(folder, e.name)) : [relative(PUBLIC, join(folder, e.name))],
  );
}

describe('the dashboard files served at / and /ui/', () => {
  let t: TestApp;
  let index: string;

  beforeAll(async () => {
    t = await startTestApp();
    index = (await request(t.http).get('/')).text;
  });
  afterAll(() => t?.close());

  it('answers the page at / without an API key, revalidated on every visit, under a strict CSP', async () => {
    const res = await request(t.http).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toMatch(/<script type="module" src="\/ui\/v-[0-9a-f]{12}\/js\/app\.js"><\/script>/);
    // Nothing inline that the CSP would block: every script has a src, no style attributes or blocks.
    expect(res.text.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
    expect(res.text).not.toMatch(/\sstyle=|<style/);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const again = await request(t.http)
      .get('/')
      .set('If-None-Match', res.headers.etag as string);
    expect(again.status).toBe(304);
  });

  it('answers each asset with its content type; content-addressed URLs are cached for good, plain ones revalidated', async () => {
    const versioned = /src="(\/ui\/v-[0-9a-f]{12}\/js\/app\.js)"/.exec(index)?.[1] as string;
    const forever = await request(t.http).get(versioned);
    expect(forever.status).toBe(200);
    expect(forever.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(forever.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(forever.text).toBe(readFileSync(join(PUBLIC, 'js/app.js'), 'utf8'));

    const types: Array<[string, string]> = [
      ['/ui/js/app.js', 'text/javascript; charset=utf-8'],
      ['/ui/app.css', 'text/css; charset=utf-8'],
      ['/ui/icon.svg', 'image/svg+xml'],
    ];
    for (const [path, type] of types) {
      const res = await request(t.http).get(path);
      expect({ path, status: res.status, type: res.headers['content-type'], cache: res.headers['cache-control'] }).toEqual({
        path,
        status: 200,
        type,
        cache: 'no-cache',
      });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(
        (
          await request(t.http)
            .get(path)
            .set('If-None-Match', res.headers.etag as string)
        ).status,
      ).toBe(304);
    }
  });

  it('serves every module the page imports (no broken import paths)', async () => {
    const base = /src="(\/ui\/v-[0-9a-f]{12}\/)js\/app\.js"/.exec(index)?.[1] as string;
    const seen = new Set<string>();
    const queue = ['js/app.js'];
    while (queue.length) {
      const path = queue.pop() as string;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await request(t.http).get(`${base}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      for (const [, spec] of res.text.matchAll(/^import [^'"]*['"](\.[^'"]+)['"]/gm)) {
        queue.push(new URL(spec as string, `http://x/${path}`).pathname.slice(1));
      }
    }
    expect(seen.size).toBe(publicFiles().filter((f) => f.endsWith('.js')).length);
  });

  it('answers 404 for unknown files, directories, traversal and index.html under /ui/', async () => {
    const paths = [
      '/ui/',
      '/ui/js',
      '/ui/js/',
      '/ui/nothing.js',
      '/ui/index.html',
      '/ui/../package.json',
      '/ui/..%2f..%2fdashboard.module.ts',
      '/ui/%2e%2e/%2e%2e/dashboard.module.ts',
      '/ui/js/..%2fapp.css',
      '/ui/v-000000000000/js/app.js',
      '/ui/js/app.js%00.txt',
    ];
    for (const path of paths) {
      const res = await request(t.http).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.headers['content-type']).not.toMatch(/javascript|css|html/);
    }
  });

  it('never builds markup from strings or sets inline styles in its code (the CSP and XSS rules)', () => {
    for (const file of publicFiles().filter((f) => f.endsWith('.js') || f.endsWith('.html'))) {
      const text = readFileSync(join(PUBLIC, file), 'utf8');
      expect({
        file,
        found: text.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(\s*['"]style/g),
      }).toEqual({ file, found: null });
    }
  });
});

describe('GET /v1/dashboard/settings', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, { thresholds: { segments: { enterprise: { critical: 0.6, high: 0.4 } } } });
  });
  afterAll(() => t?.close());

  it('tells the dashboard the configured tiers, segment thresholds and the driver choices', async () => {
    const res = await request(t.http).get('/v1/dashboard/settings').set('Authorization', `Bearer ${t.keys.manager}`);
    expect(res.status).toBe(200);
    expect(res.body.tiers).toEqual([
      { name: 'critical', minProbability: 0.7 },
      { name: 'high', minProbability: 0.5 },
      { name: 'watch', minProbability: 0.3 },
    ]);
    expect(res.body.segmentThresholds).toEqual({ enterprise: { critical: 0.6, high: 0.4 } });
    expect(res.body.driverGroups).toEqual(['activity', 'complaints', 'spend', 'account']);
    expect(res.body.features.map((f: { key: string }) => f.key)).toEqual([...FEATURE_KEYS]);
    expect(res.body.features).toContainEqual({ key: 'complaints_open', label: 'Open complaints', group: 'complaints' });
  });

  it('needs a key of a dashboard role', async () => {
    expect((await request(t.http).get('/v1/dashboard/settings')).status).toBe(401);
    expect((await request(t.http).get('/v1/dashboard/settings').set('Authorization', `Bearer ${t.keys.ingest}`)).status).toBe(403);
    for (const role of ['admin', 'lead', 'scheduler'] as const) {
      expect((await request(t.http).get('/v1/dashboard/settings').set('Authorization', `Bearer ${t.keys[role]}`)).status).toBe(200);
    }
  });
});
