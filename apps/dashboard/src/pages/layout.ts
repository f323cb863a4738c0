import { assetUrl, type Assets } from '../assets';
import type { Identity } from '../authenticator';
import { html, type HtmlValue, type SafeHtml } from '../html';
import type { Links } from './links';

/** What every page of a logged-in user needs besides its own content. */
export interface PageContext {
  readonly user: string;
  readonly identity: Identity;
  readonly assets: Assets;
  readonly links: Links;
  /** Whether launching, relaunching and cancelling are wired (a run control is configured). */
  readonly canControl: boolean;
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
  /** Which top-bar entry is current. @defaultValue `'runs'` */
  readonly section?: 'runs' | 'drift' | 'launch' | 'audit';
}

/** A form's hidden CSRF field: every POST form of the dashboard carries it. */
export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.identity.csrfToken}">`;
}

export function isOperator(ctx: PageContext): boolean {
  return ctx.identity.role === 'operator';
}

/** The page shell: top bar (runs, drift, launch, audit, queues, host search, log out), breadcrumbs, content. */
export function layout(ctx: PageContext, { title, crumbs = [], body, live = false, section = 'runs' }: LayoutOptions): SafeHtml {
  const l = ctx.links;
  const trail = crumbs.map((c, i) => html`${i > 0 ? html`<span class="sep">›</span>` : ''}${c.href ? html`<a href="${c.href}">${c.label}</a>` : html`<span>${c.label}</span>`}`);
  const current = (s: LayoutOptions['section']) => (s === section ? 'current' : '');
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · SimpleCM</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${l.base}${assetUrl(ctx.assets.css)}">
${live ? html`<script src="${l.base}${assetUrl(ctx.assets.liveJs)}" defer></script>` : ''}
</head>
<body data-base="${l.base}">
<header class="top">
  <a class="brand" href="${l.home}">SimpleCM</a>
  <nav><a href="${l.home}" class="${current('runs')}">Runs</a><a href="${l.drift()}" class="${current('drift')}">Drift</a>${isOperator(ctx) && ctx.canControl ? html`<a href="${l.launch}" class="${current('launch')}">Launch</a>` : ''}${isOperator(ctx) ? html`<a href="${l.audit()}" class="${current('audit')}">Audit</a>` : ''}<a href="${l.queues}">Queues</a></nav>
  <span class="spacer"></span>
  <form class="host-search" action="${l.hostSearch}" method="get" role="search">
    <input name="hostname" placeholder="Host: host name" aria-label="Host name" autocomplete="off" spellcheck="false">
  </form>
  <form class="logout" action="${l.logout}" method="post">
    ${csrfField(ctx)}<span class="muted" data-user-role="${ctx.identity.role}">${ctx.user} (${ctx.identity.role})</span><button type="submit">Log out</button>
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
