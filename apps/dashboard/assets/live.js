// SimpleCM dashboard: live progress of a running run. The run page marks its summary with
// data-run-live="<runId>"; this polls /api/runs/<runId>, redraws the progress bar and the
// counts, redraws the hosts table (data-live-hosts) whenever more hosts have finished, and
// reloads the page once the run has ended (the page then no longer polls).
// Pages with data-auto-refresh="<seconds>" (the runs list while a run is going) just reload.
'use strict';
(() => {
  const statuses = ['ok', 'changed', 'failed', 'skipped', 'unreachable'];
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
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').querySelector('[data-live-hosts]');
    if (!fresh) return shown;
    box.replaceWith(document.importNode(fresh, true));
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

  const live = document.querySelector('[data-run-live]');
  if (live) pollRun(live);
  const refresh = document.querySelector('[data-auto-refresh]');
  if (refresh) setTimeout(() => location.reload(), Number(refresh.getAttribute('data-auto-refresh')) * 1000);
})();
