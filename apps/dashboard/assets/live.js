// SimpleCM dashboard: live progress of a running run. The run page marks its summary with
// data-run-live="<runId>"; this polls /api/runs/<runId>, redraws the progress bar and the
// counts, redraws the hosts table (data-live-hosts) whenever more hosts have finished, and
// reloads the page once the run has ended (the page then no longer polls).
// Pages with data-auto-refresh="<seconds>" (the runs list while a run is going) just reload.
// A panel data-live-ops="<runId>" (run page; host page with data-live-host) polls
// /api/runs/<runId>/live and shows each operation as a worker finished it, before its host is
// done; the host page reloads once its host's result is recorded.
'use strict';
(() => {
  const statuses = ['ok', 'changed', 'failed', 'skipped', 'unreachable', 'rejected'];
  const svgNs = 'http://www.w3.org/2000/svg';

  function drawBar(svg, done, total, counts) {
    const ops = statuses.reduce((n, s) => n + counts[s], 0);
    const doneWidth = (total === 0 ? 1 : Math.min(1, done / total)) * 1000;
    let x = 0;
    const rects = statuses
      .filter((s) => counts[s] > 0)
      .map((s) => {
        const width = (counts[s] / Math.max(1, ops)) * doneWidth;
        const rect = document.createElementNS(svgNs, 'rect');
        rect.setAttribute('class', `f-${s}`);
        rect.setAttribute('x', x.toFixed(1));
        rect.setAttribute('y', '0');
        rect.setAttribute('width', width.toFixed(1));
        rect.setAttribute('height', '10');
        x += width;
        return rect;
      });
    svg.replaceChildren(...rects);
    svg.setAttribute('aria-label', `${done} of ${total} hosts done`);
  }

  // Same format as the server's formatDuration: 340 ms, 12.3 s, 4 m 05 s, 1 h 02 m.
  function formatDuration(ms) {
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    const s = Math.floor(ms / 1000);
    const pad = (n) => String(n).padStart(2, '0');
    if (s < 3600) return `${Math.floor(s / 60)} m ${pad(s % 60)} s`;
    return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} m`;
  }

  function setText(root, name, text) {
    for (const el of root.querySelectorAll(`[data-live="${name}"]`)) el.textContent = text;
  }

  // The hosts table as the server renders it now (same filters and page): hosts appear, with
  // their outcome, as they finish. Returns the hosts-done count the table now shows.
  async function redrawHosts(shown, done) {
    const box = document.querySelector('[data-live-hosts]');
    if (!box) return done;
    const response = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
    if (!response.ok) return shown;
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = page.querySelector('[data-live-hosts]');
    if (!fresh) return shown;
    box.replaceWith(document.importNode(fresh, true));
    // The "Page n: N hosts" line counts the same rows.
    const count = document.querySelector('[data-live-hosts-count]');
    const freshCount = page.querySelector('[data-live-hosts-count]');
    if (count && freshCount) count.textContent = freshCount.textContent;
    return done;
  }

  function pollRun(root) {
    const runId = root.getAttribute('data-run-live');
    let shown = Number(root.getAttribute('data-hosts-done') || '0');
    const note = root.querySelector('[data-live="note"]');
    const say = (text) => {
      if (!note) return;
      note.hidden = false;
      setText(note, 'note-text', text);
    };
    let failures = 0;
    const tick = async () => {
      try {
        const response = await fetch(`${document.body.getAttribute('data-base') || ''}/api/runs/${encodeURIComponent(runId)}`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
        if (response.status === 401) return location.reload(); // session ended: the reload leads to the login page
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const run = await response.json();
        failures = 0;
        if (run.status !== 'running') return location.reload();
        const bar = root.querySelector('[data-live="bar"]');
        if (bar) drawBar(bar, run.hostsDone, run.hostCount, run.counts);
        setText(root, 'hosts-done', String(run.hostsDone));
        for (const s of statuses) setText(root, `count-${s}`, String(run.counts[s]));
        setText(root, 'elapsed', formatDuration(Date.now() - Date.parse(run.createdAt)));
        if (run.hostsDone > shown) shown = await redrawHosts(shown, run.hostsDone);
      } catch (error) {
        failures += 1;
        say(`Live progress paused (${error.message}); retrying…`);
      }
      setTimeout(tick, Math.min(2000 * 2 ** failures, 30000));
    };
    setTimeout(tick, 1000);
  }

  // One operation as it finished: a <details> keyed by host and seq (a re-sent entry replaces it).
  function operationBox(op, runId, showHost) {
    const box = document.createElement('details');
    box.className = `live-op op-${op.status}`;
    box.setAttribute('data-live-op', `${op.hostname}#${op.seq}`);
    box.setAttribute('data-status', op.status);
    if (op.status === 'failed') box.open = true;
    const head = document.createElement('summary');
    const parts = [];
    // The host's page: its live operations while it runs, its recorded ones after.
    if (showHost) parts.push([op.hostname, 'mono', `${document.body.getAttribute('data-base') || ''}/runs/${encodeURIComponent(runId)}/hosts/${encodeURIComponent(op.hostname)}`]);
    parts.push([`#${op.seq}`, 'seq'], [op.name, 'name'], [op.module, 'module'], [op.status, `badge s-${op.status}`]);
    parts.push([`exit ${op.exitCode === null ? '—' : op.exitCode} · ${formatDuration(op.durationMs)}`, 'muted']);
    for (const [text, cls, href] of parts) {
      const span = document.createElement(href ? 'a' : 'span');
      span.className = cls;
      span.textContent = text;
      if (href) span.href = href;
      head.append(span, ' ');
    }
    box.append(head);
    for (const [name, text, cut] of [['stdout', op.stdout, op.stdoutTruncated], ['stderr', op.stderr, op.stderrTruncated]]) {
      if (!text && !cut) continue;
      const pre = document.createElement('pre');
      pre.className = name === 'stderr' ? 'out err' : 'out';
      pre.setAttribute('data-stream', name);
      pre.textContent = cut ? `${text}\n[… cut here; the whole output is on the host's page once it is done]` : text;
      box.append(pre);
    }
    return box;
  }

  function pollOperations(panel) {
    const runId = panel.getAttribute('data-live-ops');
    const host = panel.getAttribute('data-live-host');
    const list = panel.querySelector('[data-live-ops-list]');
    const empty = panel.querySelector('[data-live-ops-empty]');
    let after = '0';
    let failures = 0;
    const tick = async () => {
      let again = 1000;
      try {
        const query = new URLSearchParams({ after });
        if (host) query.set('host', host);
        const response = await fetch(`${document.body.getAttribute('data-base') || ''}/api/runs/${encodeURIComponent(runId)}/live?${query}`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
        if (response.status === 401) return location.reload();
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const live = await response.json();
        failures = 0;
        for (const op of live.entries) {
          const box = operationBox(op, runId, !host);
          const old = list.querySelector(`[data-live-op="${CSS.escape(`${op.hostname}#${op.seq}`)}"]`);
          if (old) old.replaceWith(box);
          else list.append(box);
        }
        if (empty && list.childElementCount > 0) empty.hidden = true;
        after = live.last;
        if (host && (live.hostRecorded || live.runStatus !== 'running')) return location.reload();
        if (!host && live.runStatus !== 'running') return; // the run page's own poll reloads it
        if (live.more) again = 0;
      } catch (error) {
        failures += 1;
        again = Math.min(2000 * 2 ** failures, 30000);
      }
      setTimeout(tick, again);
    };
    tick();
  }

  for (const panel of document.querySelectorAll('[data-live-ops]')) pollOperations(panel);
  const live = document.querySelector('[data-run-live]');
  if (live) pollRun(live);
  const refresh = document.querySelector('[data-auto-refresh]');
  if (refresh) setTimeout(() => location.reload(), Number(refresh.getAttribute('data-auto-refresh')) * 1000);
})();
