import type { Assets } from '../assets';
import { html, trusted, type SafeHtml } from '../html';

/**
 * The only page served without a login. Its CSS is inline (assets need a login too), allowed
 * by its hash in the page's Content-Security-Policy.
 */
export function loginPage(assets: Assets, { next, error, basePath = '' }: { next: string; error?: string; basePath?: string }): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · SimpleCM</title>
<link rel="icon" href="data:,">
<style>${trusted(assets.css.body)}</style>
</head>
<body>
<form class="login" method="post" action="${basePath}/login">
  <h1>SimpleCM</h1>
  <p class="muted">Run history and queues. Log in to continue.</p>
  ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
  <input type="hidden" name="next" value="${next}">
  <label for="username">User</label>
  <input id="username" name="username" autocomplete="username" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Log in</button>
</form>
</body>
</html>
`;
}
