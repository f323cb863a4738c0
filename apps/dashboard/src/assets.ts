import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A file the dashboard serves under /assets, read once at start-up. */
export interface Asset {
  readonly name: string;
  readonly contentType: string;
  readonly body: string;
  /** First hex digits of its SHA-256: the `?v=` in links, so browsers may cache it. */
  readonly version: string;
  /** `sha256-…` for a Content-Security-Policy that allows this text inline (the login page's CSS). */
  readonly cspHash: string;
}

export interface Assets {
  readonly css: Asset;
  readonly liveJs: Asset;
  byName(name: string): Asset | undefined;
}

export const assetsDir = path.resolve(__dirname, '..', 'assets');

function loadAsset(name: string, contentType: string): Asset {
  const body = fs.readFileSync(path.join(assetsDir, name), 'utf8');
  return {
    name,
    contentType,
    body,
    version: createHash('sha256').update(body).digest('hex').slice(0, 12),
    cspHash: `sha256-${createHash('sha256').update(body).digest('base64')}`,
  };
}

export function loadAssets(): Assets {
  const css = loadAsset('dashboard.css', 'text/css; charset=utf-8');
  const liveJs = loadAsset('live.js', 'text/javascript; charset=utf-8');
  const all = new Map([css, liveJs].map((a) => [a.name, a]));
  return { css, liveJs, byName: (name) => all.get(name) };
}

/** The link that loads an asset: `/assets/<name>?v=<version>`. */
export function assetUrl(asset: Asset): string {
  return `/assets/${asset.name}?v=${asset.version}`;
}
