import { assetUrl, type Assets } from '../assets';
import { html, type HtmlValue, type SafeHtml } from '../html';

/** What every page of a logged-in user needs besides its own content. */
export interface PageContext {
  readonly user: string;
  readonly assets: Assets;
}

export interface Crumb {
  readonly label: HtmlValue;
  readonly href?: string;
}

export interface LayoutOptions {
  readonly title: string;
  readonly crumbs?: readonly Crumb[];
  readonly body: SafeHtml;
  /** Load assets/live.js (live progress, auto-refresh). */
  readonly live?: boolean;
}

/** The page shell: top bar (runs, queues, host search, log out), breadcrumbs, content. */
export function layout(ctx: PageContext, { title, crumbs = [], body, live = false }: LayoutOptions): SafeHtml {
  const trail = crumbs.map((c, i) => html`${i > 0 ? html`<span class="sep">›</span>` : ''}${c.href ? html`<a href="${c.href}">${c.label}</a>` : html`<span>${c.label}</span>`}`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · SimpleCM</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assetUrl(ctx.assets.css)}">
${live ? html`<script src="${assetUrl(ctx.assets.liveJs)}" defer></script>` : ''}
</head>
<body>
<header class="top">
  <a class="brand" href="/">SimpleCM</a>
  <nav><a href="/" class="current">Runs</a><a href="/queues">Queues</a></nav>
  <span class="spacer"></span>
  <form class="host-search" action="/hosts" method="get" role="search">
    <input name="hostname" placeholder="Host history: host name" aria-label="Host name" autocomplete="off" spellcheck="false">
  </form>
  <form class="logout" action="/logout" method="post">
    <span class="muted">${ctx.user}</span><button type="submit">Log out</button>
  </form>
</header>
<main>
${crumbs.length > 0 ? html`<div class="crumbs">${trail}</div>` : ''}
${body}
</main>
</body>
</html>
`;
}
