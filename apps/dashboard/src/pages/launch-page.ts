import { html, type SafeHtml } from '../html';
import { csrfField, layout, type PageContext } from './layout';

/** `/launch`: the form that starts a run (operators only). */
export function launchPage(ctx: PageContext, { error, values }: { error?: string; values?: Record<string, string> } = {}): SafeHtml {
  const v = values ?? {};
  return layout(ctx, {
    title: 'Launch a run',
    section: 'launch',
    crumbs: [{ label: 'Runs', href: ctx.links.home }, { label: 'Launch' }],
    body: html`<h1>Launch a run</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form class="panel launch" method="post" action="${ctx.links.launch}">
  ${csrfField(ctx)}
  <label for="target">Target</label>
  <input id="target" name="target" required value="${v.target ?? 'all'}" placeholder="all, web*, host1,host2, group:web" spellcheck="false">
  <label for="tags">Tags</label>
  <input id="tags" name="tags" value="${v.tags ?? ''}" placeholder="comma-separated; empty: every operation" spellcheck="false">
  <label><input type="checkbox" name="check" value="1"${v.check ? html` checked` : ''}> Check mode (change nothing, report what would change)</label>
  <label><input type="checkbox" name="diff" value="1"${v.diff ? html` checked` : ''}> Show diffs</label>
  <label><input type="checkbox" name="keepGoing" value="1"${v.keepGoing ? html` checked` : ''}> Keep going after a failed operation</label>
  <button type="submit" data-action="launch">Launch</button>
</form>`,
  });
}
