import { escapeHtml, html, trusted } from '../html';

describe('html templates', () => {
  it('escapes every interpolated string, including quotes for attributes', () => {
    const evil = `<script>alert("x")</script>&'\``;
    expect(html`<pre title="${evil}">${evil}</pre>`.text).toBe(
      '<pre title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;</pre>',
    );
  });

  it('keeps nested templates and trusted markup, joins arrays, drops null, undefined and false', () => {
    const items = ['a<b', 'c'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}${trusted('<hr>')}`.text).toBe('<ul><li>a&lt;b</li><li>c</li></ul>0<hr>');
  });

  it('escapeHtml leaves plain text alone', () => {
    expect(escapeHtml('host5 failed: /nonexistent')).toBe('host5 failed: /nonexistent');
  });
});
