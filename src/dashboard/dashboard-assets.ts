import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

/** The file types the dashboard is made of; anything else in the folder is never served. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/**
 * The dashboard's files, read once at start-up into a map keyed by their path under
 * public/ (e.g. "js/app.js"). Requests are answered from the map only, so a request path
 * never reaches the file system: no traversal, no directory listing, no file that was not
 * there at start-up.
 *
 * Asset URLs in index.html carry a content hash (/ui/<version>/app.css); relative imports
 * inherit it, so those URLs can be cached for good while index.html itself is revalidated.
 */
export class DashboardAssets {
  readonly version: string;
  private readonly files = new Map<string, Asset>();
  private readonly indexPage: Asset;

  constructor(readonly folder: string) {
    if (!existsSync(join(folder, 'index.html'))) {
      throw new Error(`Dashboard files missing in ${folder}: nest build copies src/dashboard/public there (nest-cli.json "assets")`);
    }
    const hash = createHash('sha256');
    for (const path of listFiles(folder)) {
      const contentType = CONTENT_TYPES[extname(path).toLowerCase()];
      if (!contentType) continue;
      const key = relative(folder, path).split(sep).join('/');
      const body = readFileSync(path);
      hash.update(key).update('\0').update(body);
      this.files.set(key, asset(body, contentType));
    }
    this.version = `v-${hash.digest('hex').slice(0, 12)}`;
    const html = (this.files.get('index.html') as Asset).body.toString('utf8');
    this.files.delete('index.html');
    this.indexPage = asset(Buffer.from(html.replaceAll('"/ui/', `"/ui/${this.version}/`)), CONTENT_TYPES['.html'] as string);
  }

  index(): Asset {
    return this.indexPage;
  }

  /** The asset at a path under /ui/ (still URL-encoded, exactly as requested), or null. */
  find(path: string): { asset: Asset; versioned: boolean } | null {
    const versioned = path.startsWith(`${this.version}/`);
    const found = this.files.get(versioned ? path.slice(this.version.length + 1) : path);
    return found ? { asset: found, versioned } : null;
  }
}

function asset(body: Buffer, contentType: string): Asset {
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** Regular files under a folder, recursively; dot-files and symbolic links are left out. */
function listFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.')) return [];
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return listFiles(path);
    return entry.isFile() ? [path] : [];
  });
}
