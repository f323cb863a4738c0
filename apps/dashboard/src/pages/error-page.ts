import { html, type SafeHtml } from '../html';
import { layout, type PageContext } from './layout';

const titles: Record<number, string> = { 400: 'Bad request', 403: 'Forbidden', 404: 'Not found', 500: 'Something went wrong' };

export function errorPage(ctx: PageContext, status: number, message: string): SafeHtml {
  const title = titles[status] ?? `Error ${status}`;
  return layout(ctx, {
    title,
    body: html`<div class="panel error-page">
  <h1>${status} · ${title}</h1>
  <p class="message">${message}</p>
  <p><a class="button" href="${ctx.links.home}">Back to runs</a></p>
</div>`,
  });
}
