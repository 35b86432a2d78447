// sptflow view: the row table, row lineage, the run overview and the
// comparison of two experiments. Without a server (a static export) the
// data embedded in the page answers the same API.
'use strict';
const $ = (s, el = document) => el.querySelector(s);
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
const STATIC = window.SPT_STATIC || null;
const FACETS = ['topic', 'model', 'variant', 'itype', 'iversion', 'verdict', 'confidence', 'difficulty', 'review_rounds', 'failed', 'tag'];
const LABEL = {itype: 'intervention type', iversion: 'version', review_rounds: 'review rounds'};
let state = {side: 'a', stage: 3, q: '', sort: '', desc: false, page: 0, filters: {}};
let info = null;

async function api(path, params = {}) {
  if (STATIC) return staticApi(path, params);
  const u = new URL(path, location.href);
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach(x => u.searchParams.append(k, x));
    else if (v !== '' && v != null) u.searchParams.set(k, v);
  }
  const r = await fetch(u);
  if (!r.ok) throw new Error(await r.text());
  return r.json();
}

// staticApi answers from the exported selection.
function staticApi(path, p) {
  const rows = STATIC.rows.filter(r => r.stage === (+p.stage || 3));
  const match = r => FACETS.every(f => {
    const want = p[f];
    if (!want || !want.length) return true;
    if (f === 'tag') return want.every(t => r.tags.includes(t));
    return want.includes(String(f === 'failed' ? (r.failed ? 1 : 0) : (f === 'itype' || f === 'iversion') ? r.intervention.split('__')[f === 'itype' ? 0 : 1] : r[f]));
  }) && (!p.q || (r.task + ' ' + r.text).toLowerCase().includes(p.q.toLowerCase()));
  if (path === 'api/info') return STATIC.info;
  if (path === 'api/rows') {
    const sel = rows.filter(match), size = 50, page = +p.page || 0;
    return {total: sel.length, page, size, rows: sel.slice(page * size, page * size + size)};
  }
  if (path === 'api/facets') {
    const out = {};
    for (const f of FACETS) {
      const c = {};
      for (const r of rows.filter(r => match(r))) {
        const vs = f === 'tag' ? r.tags : [f === 'failed' ? (r.failed ? '1' : '0') : (f === 'itype' || f === 'iversion') ? r.intervention.split('__')[f === 'itype' ? 0 : 1] || '' : r[f]];
        vs.forEach(v => c[v] = (c[v] || 0) + 1);
      }
      const l = Object.entries(c).map(([value, count]) => ({value, count})).sort((a, b) => b.count - a.count);
      if (l.length > 1 || (l.length === 1 && l[0].value)) out[f] = l;
    }
    return out;
  }
  if (path === 'api/lineage') {
    const r = STATIC.rows.find(x => String(x.id) === String(p.id));
    return (r && STATIC.lineages[r.item]) || Promise.reject(new Error('row ' + p.id + ' is not in the export'));
  }
  if (path === 'api/overview') return {partitions: [], nodes: [], failures: [], runs: [], batches: []};
  return Promise.reject(new Error('not available in an export'));
}

// highlight marks the search's words in text: one pass over the raw text
// (longest word first where two start alike), each piece escaped, so a
// mark never lands inside an entity or another mark.
function highlight(text, q) {
  const s = String(text ?? '');
  const words = (q || '').replace(/["*]/g, ' ').split(/\s+/).filter(w => w.length > 1).sort((a, b) => b.length - a.length);
  if (!words.length) return esc(s);
  const re = new RegExp(words.map(w => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');
  let out = '', last = 0;
  for (const m of s.matchAll(re)) {
    out += esc(s.slice(last, m.index)) + '<mark>' + esc(m[0]) + '</mark>';
    last = m.index + m[0].length;
  }
  return out + esc(s.slice(last));
}

// rowsHash is the address of the Rows page in its current state.
function rowsHash() {
  const p = new URLSearchParams();
  if (state.side === 'b') p.set('side', 'b');
  if (state.stage !== 3) p.set('stage', state.stage);
  if (state.q) p.set('q', state.q);
  if (state.sort) p.set('sort', state.sort);
  if (state.desc) p.set('desc', '1');
  if (state.page) p.set('page', state.page);
  for (const [f, vs] of Object.entries(state.filters)) vs.forEach(v => p.append(f, v));
  return '#/rows?' + p;
}

function writeHash() {
  const h = rowsHash();
  if (location.hash !== h) history.replaceState(null, '', h);
}

function readHash() {
  const [, query] = location.hash.split('?');
  const p = new URLSearchParams(query || '');
  // Only the stages the server knows (it takes any other as 3), and a
  // page from 0: a hand-made address cannot draw one stage's columns over
  // another's rows.
  const stage = +p.get('stage');
  state = {side: p.get('side') === 'b' && info && info.compare ? 'b' : 'a', stage: [1, 2, 3].includes(stage) ? stage : 3, q: p.get('q') || '', sort: p.get('sort') || '', desc: p.get('desc') === '1',
    page: Math.max(0, Math.floor(+p.get('page') || 0)), filters: {}};
  for (const f of FACETS) if (p.getAll(f).length) state.filters[f] = p.getAll(f);
}

function params() {
  return {side: state.side === 'b' ? 'b' : '', stage: state.stage, q: state.q, sort: state.sort, desc: state.desc ? 1 : '', page: state.page, ...state.filters};
}

async function showRows() {
  const main = $('#main');
  if (!$('#rows-view')) {
    main.innerHTML = `<div id="rows-view" class="layout"><aside id="facets"></aside><div class="grow">
      <div class="bar">${info && info.compare && !STATIC ? `<select id="side" title="the experiment whose rows to show"><option value="a">A: ${esc(info.name)}</option><option value="b">B: ${esc(info.compare.name)}</option></select>` : ''}
      <select id="stage"><option value="3">stage 3: interventions</option><option value="2">stage 2: answers</option><option value="1">stage 1: items</option></select>
      <input type="search" id="search" placeholder="search prompts, responses, interventions, reviews"> <span id="total"></span> <button id="clear" title="remove every facet filter and the search" hidden>clear filters</button>
      <button id="prev">◀</button><span id="pageno"></span><button id="next">▶</button>
      ${STATIC ? '' : '<button id="export-hint" title="sptflow view --export DIR --select QUERY">export…</button>'}</div>
      <table id="rows"><thead></thead><tbody></tbody></table></div></div>`;
    if ($('#side')) $('#side').onchange = e => { state.side = e.target.value; state.page = 0; refreshRows(); };
    $('#stage').onchange = e => { state.stage = +e.target.value; state.page = 0; state.filters = {}; refreshRows(); };
    let t;
    $('#search').oninput = e => { clearTimeout(t); t = setTimeout(() => { state.q = e.target.value; state.page = 0; refreshRows(); }, 250); };
    $('#prev').onclick = () => { if (state.page > 0) { state.page--; refreshRows(); } };
    $('#next').onclick = () => { state.page++; refreshRows(); }; // disabled on the last page
    $('#clear').onclick = () => { state.q = ''; state.filters = {}; state.page = 0; $('#search').value = ''; refreshRows(); };
    const hint = $('#export-hint');
    if (hint) hint.onclick = () => { const q = location.hash.split('?')[1] || ''; prompt('Export this selection with:', `sptflow view --export DIR --select '${q}'`); };
  }
  $('#stage').value = state.stage;
  if ($('#side')) $('#side').value = state.side;
  $('#search').value = state.q;
  await refreshRows();
}

let rowsAsked = 0; // counts refreshRows' queries: only the latest is drawn

async function refreshRows() {
  writeHash();
  const n = ++rowsAsked;
  let page, facets;
  try {
    [page, facets] = await Promise.all([api('api/rows', params()), api('api/facets', params())]);
  } catch (e) { if (n === rowsAsked) showError(e, 'could not load the rows'); return; }
  // An earlier query answered late (typing on, say) must not draw over a
  // later one's rows.
  if (n !== rowsAsked) return;
  showError(null, 'could not load the rows');
  // A page past the last (an old link, fewer rows since) shows the last.
  const pages = Math.max(1, Math.ceil(page.total / page.size));
  if (state.page >= pages) { state.page = pages - 1; return refreshRows(); }
  keepFocus(() => { renderFacets(facets); renderTable(page); });
}

// renderTable draws a page of rows. A row opens its lineage by a click
// anywhere, or by its id, a link; a sortable column's header is a button
// for the keyboard too.
function renderTable(page) {
  // The texts (where search hits are marked) come before the narrow
  // columns, so they are in view without scrolling the table sideways.
  const cols = state.stage === 3 ? ['id', 'topic', 'model', 'variant', 'intervention', 'verdict', 'task', 'text', 'confidence', 'difficulty', 'review_rounds', 'failed', 'tags']
    : state.stage === 2 ? ['id', 'topic', 'model', 'variant', 'task', 'text', 'failed', 'tags'] : ['id', 'topic', 'difficulty', 'task', 'text', 'failed', 'tags'];
  const head = {text: state.stage === 3 ? 'intervention I' : state.stage === 2 ? 'answer S' : 'B prompt', task: 'task T'};
  const sortable = c => !['tags', 'task', 'text'].includes(c);
  $('#rows thead').innerHTML = '<tr>' + cols.map(c => {
    if (!sortable(c)) return `<th data-col="${c}" class="nosort">${esc(head[c] || LABEL[c] || c)}</th>`;
    const sort = state.sort !== c ? 'none' : state.desc ? 'descending' : 'ascending';
    return `<th data-col="${c}" data-focus="th:${c}" tabindex="0" role="button" aria-sort="${sort}">${esc(head[c] || LABEL[c] || c)}${sort === 'none' ? '' : state.desc ? ' ▼' : ' ▲'}</th>`;
  }).join('') + '</tr>';
  for (const th of document.querySelectorAll('#rows th[tabindex]')) activate(th, () => {
    const c = th.dataset.col;
    state.desc = state.sort === c ? !state.desc : false; state.sort = c; refreshRows();
  });
  $('#rows tbody').innerHTML = page.rows.map(r => '<tr class="row" data-id="' + r.id + '">' + cols.map(c => {
    if (c === 'id') return `<td><a href="${rowLink(r.id, state.side)}" data-focus="row:${r.id}">${r.id}</a></td>`;
    if (c === 'verdict') return `<td class="verdict ${esc(r.verdict)}">${esc(r.verdict)}</td>`;
    if (c === 'tags') return '<td>' + r.tags.map(t => `<span class="tag">${esc(t)}</span>`).join('') + '</td>';
    if (c === 'task' || c === 'text') return `<td class="text" title="${esc(r[c])}">${highlight(r[c], state.q)}</td>`;
    if (c === 'failed') return `<td>${r.failed ? '<span class="err">failed</span>' : ''}</td>`;
    return `<td>${esc(r[c])}</td>`;
  }).join('') + '</tr>').join('');
  for (const tr of document.querySelectorAll('#rows tr.row')) tr.onclick = () => { location.hash = rowLink(tr.dataset.id, state.side); };
  $('#total').textContent = `${page.total.toLocaleString()} rows`;
  const pages = Math.max(1, Math.ceil(page.total / page.size));
  $('#pageno').textContent = ` page ${page.page + 1} of ${pages} `;
  $('#prev').disabled = page.page === 0;
  $('#next').disabled = page.page + 1 >= pages;
}

// activate makes el act on a click, and on Enter or Space when focused.
function activate(el, fn) {
  el.onclick = fn;
  el.onkeydown = e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); fn(); } };
}

// keepFocus runs render, which draws part of the page anew, and gives the
// keyboard focus back to the new element standing for the focused one
// (the same data-focus): a facet toggled with Space stays focused.
function keepFocus(render) {
  const key = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focus : '';
  render();
  const el = key && document.querySelector(`[data-focus="${CSS.escape(key)}"]`);
  if (el) el.focus();
}

// facetValues is what a facet lists: its 40 commonest values, and every
// selected value, with count 0 when no row left has it (a stale link's
// value, or one the other filters exclude), so it can be unchecked.
function facetValues(f, counts) {
  const l = (counts || []).slice(0, 40);
  for (const v of state.filters[f] || []) {
    if (!l.some(c => c.value === v)) l.push((counts || []).find(c => c.value === v) || {value: v, count: 0});
  }
  return l;
}

function renderFacets(facets) {
  const el = $('#facets');
  el.innerHTML = FACETS.filter(f => facets[f] || state.filters[f]).map(f => `<h4>${esc(LABEL[f] || f)}</h4>` + facetValues(f, facets[f]).map(c => {
    const on = (state.filters[f] || []).includes(c.value);
    return `<label><input type="checkbox" data-facet="${f}" value="${esc(c.value)}" data-focus="${esc(f + ':' + c.value)}" ${on ? 'checked' : ''}> ${esc(f === 'failed' ? (c.value === '1' ? 'failed' : 'ok') : c.value || '(none)')} <span class="n">${c.count}</span></label>`;
  }).join('')).join('');
  $('#clear').hidden = !state.q && !Object.keys(state.filters).length;
  for (const cb of el.querySelectorAll('input')) cb.onchange = () => {
    const f = cb.dataset.facet, vs = new Set(state.filters[f] || []);
    cb.checked ? vs.add(cb.value) : vs.delete(cb.value);
    if (vs.size) state.filters[f] = [...vs]; else delete state.filters[f];
    state.page = 0; refreshRows();
  };
}

// callHTML is a call's summary. Its request, curl and record
// (callBodyHTML) are drawn when it is opened: a server sends them then
// (api/call), an export holds them in the page.
function callHTML(c) {
  const body = c.record ? callBodyHTML(c) : '<div class="muted call-loading">loading…</div>';
  return `<details class="call" data-key="${esc(c.key)}"${c.record ? ' data-loaded="1"' : ''}><summary>call ${esc(c.key.slice(0, 12))} · ${esc(c.provider)}/${esc(c.model)} served by ${esc(c.served_model)} · ${c.input_tokens} in / ${c.output_tokens} out${c.cache_read_tokens ? ' (' + c.cache_read_tokens + ' cached)' : ''} · $${c.cost_usd.toFixed(4)} · ${c.attempts} attempt(s)${c.batch ? ' · batch ' + esc(c.batch) : ' · online'} · ${esc(c.partition)} · run ${esc(c.run)}${c.simulated ? ' · simulated' : ''}</summary>
    ${body}</details>`;
}

function callBodyHTML(c) {
  // An export keeps each request once, by digest, and no curl.
  const request = c.request || (STATIC && STATIC.requests && STATIC.requests[c.request_digest]);
  const req = request
    ? `<details class="call-request"><summary>request ${esc(c.request_digest.slice(0, 12))} (as sent${c.simulated ? ' to the simulator' : ''})</summary><pre class="request-body">${esc(JSON.stringify(request, null, 2))}</pre></details>${curlHTML(c.curl, 'the stored request')}`
    : `<div class="muted request-missing">${esc(c.request_missing || 'request not recorded')}</div>`;
  return `${req}<details class="call-record"><summary>response, usage, cost (the stored record)</summary><pre>${esc(JSON.stringify(c.record, null, 2))}</pre></details>`;
}

// loadCall draws an opened call's request, curl and record, asked of the
// server the first time.
async function loadCall(d) {
  if (d.dataset.loaded) return;
  d.dataset.loaded = '1';
  const at = d.querySelector('.call-loading');
  try {
    const c = await api('api/call', {key: d.dataset.key, side: d.closest('#lineage').dataset.side === 'b' ? 'b' : ''});
    at.outerHTML = callBodyHTML(c);
  } catch (e) {
    delete d.dataset.loaded; // opened again, it asks again
    at.textContent = 'could not load the call: ' + e.message;
  }
}

function callsHTML(calls) {
  if (!calls || !calls.length) return '<div class="muted">no call of the request store produced this text</div>';
  if (calls.length === 1) return callHTML(calls[0]);
  const cost = calls.reduce((a, c) => a + c.cost_usd, 0);
  return `<details class="calls"><summary>${calls.length} LLM calls hold this text (${esc(calls[0].served_model)}, $${cost.toFixed(4)})</summary>${calls.map(callHTML).join('')}</details>`;
}

function curlHTML(curl, from) {
  if (!curl) return '';
  const id = 'curl' + Math.random().toString(36).slice(2);
  return `<details class="curl"><summary>curl (${esc(from || 'the request rebuilt from the row')}; the key stays in the environment)</summary><pre class="curl-text" id="${id}">${esc(curl)}</pre><button class="copy" data-for="${id}">copy as curl</button></details>`;
}

// rowLink is the address of a row's lineage on a side ('b', or A).
function rowLink(id, side) {
  return '#/row/' + id + (side === 'b' ? '?side=b' : '');
}

// sidesHTML, comparing, says which side a lineage is of and links to the
// same item's lineage on the other side.
function sidesHTML(l) {
  if (!l.side || !info.compare) return '';
  const names = {a: 'A: ' + info.name, b: 'B: ' + info.compare.name};
  return ' · ' + ['a', 'b'].map(s => s === l.side ? `<b class="side-on">${esc(names[s])}</b>`
    : l.other ? `<a class="side-other" href="${rowLink(l.other, s)}">${esc(names[s])}</a>` : `<span class="muted">${esc(names[s])}: not there</span>`).join(' | ');
}

async function showLineage(id, side) {
  const main = $('#main');
  main.innerHTML = '<p>loading…</p>';
  let l;
  try { l = await api('api/lineage', {id, side: side === 'b' ? 'b' : ''}); } catch (e) { main.innerHTML = `<p class="err">${esc(e.message)}</p>`; return; }
  const it = l.item;
  // A record's answer may have no row of its own (stage_2/ lacks it): its
  // model still gets a card, so the record stays in view.
  const models = [...new Set([...l.answers, ...l.records].map(a => a.model))];
  main.innerHTML = `<div id="lineage" data-side="${esc(l.side || '')}"><p><a href="javascript:history.back()">◀ back</a> · item ${esc(it.id)} · topic <b>${esc(it.topic)}</b>${sidesHTML(l)}</p>
    <div class="card"><h3>Stage 1: the task</h3>
    ${it.note ? `<div class="err item-note">${esc(it.note)}</div>` : ''}
    <div class="muted">batch ${esc(it.batch.batch_id)} · ${esc(it.batch.file)} · generated by ${esc(it.batch.model_used)} at ${esc(it.batch.generation_timestamp)}</div>
    <div class="cols"><div><b>A (unbiased system prompt)</b><pre>${esc(it.A)}</pre></div><div><b>B (biased system prompt)</b>${it.B ? `<pre>${esc(it.B)}</pre>` : '<pre class="muted no-b">(none: the item has no B prompt)</pre>'}</div></div>
    <b>T (task)</b><pre>${esc(it.T)}</pre><b>metadata</b><pre>${esc(JSON.stringify(it.metadata, null, 1))}</pre>${callsHTML(it.calls)}</div>
    ${models.map(m => `<div class="card answers"><h3>Stage 2: ${esc(m)}</h3><div class="cols">${['A', 'B'].map(v => {
      const a = l.answers.find(x => x.model === m && x.variant === v);
      const recs = l.records.filter(r => r.model === m && r.variant === v);
      return `<div>${a ? answerHTML(a) : `<div class="muted no-answer">no answer under ${v}</div>`}${recs.map(recordHTML).join('')}</div>`;
    }).join('')}</div></div>`).join('')}</div>`;
  const lineage = $('#lineage');
  // (toggle does not bubble: it is caught on the way down.)
  lineage.addEventListener('toggle', e => { if (e.target.matches('details.call') && e.target.open) loadCall(e.target); }, true);
  lineage.addEventListener('click', async e => {
    const b = e.target.closest('button.copy');
    if (!b) return;
    const text = document.getElementById(b.dataset.for).textContent;
    try { await navigator.clipboard.writeText(text); b.textContent = 'copied'; } catch { b.textContent = 'select and copy the text above'; }
  });
  const focus = main.querySelector(`.record[data-row="${id}"]`);
  if (focus) { focus.style.outline = '2px solid #23395d'; focus.scrollIntoView({block: 'center'}); }
}

function answerHTML(a) {
  const stored = a.calls.some(c => c.request || (STATIC && STATIC.requests && STATIC.requests[c.request_digest]));
  return `<b>answer under ${esc(a.variant)}</b> <span class="muted">${esc(a.input_tokens)} in / ${esc(a.output_tokens)} out</span> ${a.tags.map(t => `<span class="tag">${esc(t)}</span>`).join('')}
    ${a.note ? `<div class="err answer-note">${esc(a.note)}</div>` : ''}<pre>${esc(a.S)}</pre>${callsHTML(a.calls)}${curlHTML(a.curl, stored ? 'the stored request' : '')}`;
}

function recordHTML(r) {
  return `<div class="card record" data-row="${r.row}"><b>${esc(r.intervention)}</b> <span class="${esc(r.P)}">${esc(r.P)}</span> · confidence ${esc(r.confidence)} · difficulty ${esc(r.detection_difficulty_internal)}/${esc(r.detection_difficulty_external)} ${r.tags.map(t => `<span class="tag">${esc(t)}</span>`).join('')}
    <details><summary>I (intervention)</summary><pre>${esc(r.I)}</pre></details><details open><summary>R (review)</summary><pre>${esc(r.R)}</pre></details>
    ${r.reviews.map(v => `<div class="muted">quality review round ${v.round}: ${v.accepted ? 'accepted' : 'rejected'} by ${esc(v.model)} — ${esc(v.evaluation)}${callsHTML(v.calls)}</div>`).join('')}
    <details><summary>every field</summary><pre>${esc(JSON.stringify(r.fields, null, 1))}</pre></details>${callsHTML(r.calls)}</div>`;
}

function money(x) { return '$' + (x || 0).toFixed(4); }

async function showOverview() {
  const main = $('#main');
  if (info && info.compare && !STATIC) {
    // Each side's own run: for two lock files, the run that produced each.
    const [a, b] = await Promise.all([api('api/overview'), api('api/overview', {side: 'b'})]);
    main.innerHTML = `<div id="overview">${runHTML(a, '', 'A: ' + info.name)}${runHTML(b, '-b', 'B: ' + info.compare.name)}${reportsHTML()}</div>`;
    return;
  }
  const ov = await api('api/overview');
  if (!ov.run) { main.innerHTML = '<p class="muted">No run of this project is recorded in the store (or the viewer was started on a data directory).</p>' + reportsHTML(); return; }
  main.innerHTML = `<div id="overview">${runHTML(ov, '', '')}${reportsHTML()}</div>`;
}

// runHTML is one run's overview; suffix tells the tables of side B apart.
function runHTML(ov, suffix, label) {
  const head = label ? `<h3 class="side-label">${esc(label)}</h3>` : '';
  if (!ov.run) return `<div class="run" id="run${suffix}">${head}<p class="muted">No run of this side is recorded in its store.</p></div>`;
  const est = e => e ? `${e.requests.low}–${e.requests.high} req, $${e.cost_usd.low.toFixed(2)}–${e.cost_usd.high.toFixed(2)}` : '—';
  return `<div class="run" id="run${suffix}" data-run="${esc(ov.run)}">${head}<h3>Run <span class="run-id">${esc(ov.run)}</span> · ${esc(ov.pipeline)} ${ov.ended ? '' : '<span class="live">(running)</span>'}</h3>
    <p>${callsText(ov.total)}, ${ov.total.failed_calls} failed, ${ov.rate_limits} rate-limited, ${ov.total.in_flight} in flight · ${ov.total.requests} HTTP requests sent online · ${ov.total.usage.input_tokens} in / ${ov.total.usage.output_tokens} out tokens · ${money(ov.total.cost_usd)}</p>
    ${ov.failures.length ? '<div class="err">' + ov.failures.map(esc).join('<br>') + '</div>' : ''}
    ${batchesHTML(ov.batches, suffix)}
    <h4>Per node: estimate vs actual</h4><table id="nodes${suffix}"><tr><th>node</th><th>estimate</th><th>calls new</th><th>served</th><th>batch results</th><th>HTTP requests</th><th>tokens in/out</th><th>cost</th></tr>
    ${ov.nodes.map(n => `<tr><td>${esc(n.node)}</td><td>${est(n.estimate)}</td><td>${n.spent.stored}</td><td>${n.spent.served}</td><td>${batchText(n.spent)}</td><td>${n.spent.requests}</td><td>${n.spent.usage.input_tokens}/${n.spent.usage.output_tokens}</td><td>${money(n.spent.cost_usd)}</td></tr>`).join('')}</table>
    <h4>Per partition</h4><table id="partitions${suffix}"><tr><th>partition</th><th>state</th><th>rows</th><th>calls new</th><th>cached</th><th>failed</th><th>batch results</th><th>HTTP requests</th><th>tokens in/out</th><th>cost</th><th>time</th></tr>
    ${ov.partitions.map(p => `<tr><td>${esc(p.id)}</td><td class="${p.state === 'failed' ? 'err' : ''}">${esc(p.state)}</td><td>${p.rows}</td><td>${p.spent.stored}</td><td>${p.spent.served}</td><td>${p.spent.failed_calls}</td><td>${batchText(p.spent)}</td><td>${p.spent.requests}</td><td>${p.spent.usage.input_tokens}/${p.spent.usage.output_tokens}</td><td>${money(p.spent.cost_usd)}</td><td>${(p.duration_ms / 1000).toFixed(1)} s</td></tr>`).join('')}</table></div>`;
}

// callsText counts a run's calls as sptflow log does: new (stored), of
// them the provider batches' results with their price, and served.
function callsText(t) {
  const b = t.batch_results ? ` (${t.batch_results} from provider batches: ${money(t.batch_cost_usd)}, online price ${money(t.batch_list_usd)}, saved ${money(t.batch_list_usd - t.batch_cost_usd)})` : '';
  return `${t.stored} calls new${b}, ${t.served} served from the store`;
}

// batchesHTML lists the provider batches in flight (or not yet harvested).
function batchesHTML(bs, suffix) {
  if (!bs || !bs.length) return '';
  return `<h4>Provider batches in flight or not yet harvested</h4><table id="batches${suffix}"><tr><th>batch</th><th>model</th><th>requests</th><th>done</th><th>failed</th><th>pending</th><th>last polled</th><th>ETA</th></tr>
    ${bs.map(b => `<tr><td>${esc(b.id || '(no batch id yet)')}</td><td>${esc(b.model)}</td><td>${b.requests}</td><td>${b.done}</td><td>${b.failed}</td><td>${b.pending}</td><td>${esc(b.polled || 'not polled yet')}</td><td>${esc(b.eta || '—')}</td></tr>`).join('')}</table>`;
}

// batchText is the provider batches' share of a node's or partition's calls.
function batchText(s) {
  return s.batch_results ? `${s.batch_results} · ${money(s.batch_cost_usd)} (online ${money(s.batch_list_usd)})` : '—';
}

// reports lists the reports of each side: their address and label
// (side B's are served under files/b/).
function reports(onlyHTML) {
  if (!info || STATIC) return [];
  const side = (i, dir, label) => (i ? i.reports : []).filter(r => !onlyHTML || r.endsWith('.html')).map(r => ({href: dir + r, label: label + r}));
  return info.compare ? [...side(info, 'files/', 'A: '), ...side(info.compare, 'files/b/', 'B: ')] : side(info, 'files/', '');
}

function reportsHTML() {
  const l = reports(false);
  if (!l.length) return '';
  return '<h4>Reports</h4>' + l.map(r => `<a href="${esc(r.href)}" target="_blank">${esc(r.label)}</a>`).join('<br>');
}

let cmpState = {changed: true, page: 0, va: '', vb: ''};
async function showCompare() {
  const c = await api('api/compare');
  const m = c.report.flips;
  const main = $('#main');
  main.innerHTML = `<div id="compare"><h3>A: ${esc(c.a)} · B: ${esc(c.b)}</h3>
    <p>${c.matched} matched records, ${c.changed} changed, ${c.only_a} only in A, ${c.only_b} only in B</p>
    <div class="cols"><div><h4>Verdict flips (A rows, B columns)</h4><table id="flips"><tr><th></th>${m.labels.map(l => `<th>${esc(l)}</th>`).join('')}</tr>
    ${m.labels.map((la, i) => `<tr><th>${esc(la)}</th>${m.labels.map((lb, j) => `<td><a href="#" data-va="${esc(la)}" data-vb="${esc(lb)}" class="${i !== j ? 'flip' : ''}">${m.counts[i][j]}</a></td>`).join('')}</tr>`).join('')}</table></div>
    <div><h4>Tag deltas</h4><table id="tagdeltas"><tr><th>tag</th><th>A</th><th>B</th><th>Δ</th></tr>${(c.report.tag_deltas || []).slice(0, 30).map(d => `<tr><td>${esc(d.name)}</td><td>${d.a}</td><td>${d.b}</td><td>${d.delta > 0 ? '+' : ''}${d.delta}</td></tr>`).join('')}</table></div></div>
    <div class="bar"><label><input type="checkbox" id="changed-only" ${cmpState.changed ? 'checked' : ''}> changed only</label> <span id="pair-filter"></span> <span id="pair-total"></span>
    <button id="cprev">◀</button><button id="cnext">▶</button></div>
    <table id="pairs"><thead><tr><th>topic</th><th>model</th><th>variant</th><th>intervention</th><th>A</th><th>B</th><th>task</th></tr></thead><tbody></tbody></table><div id="pair"></div></div>`;
  $('#changed-only').onchange = e => { cmpState.changed = e.target.checked; cmpState.page = 0; refreshPairs(); };
  $('#cprev').onclick = () => { if (cmpState.page > 0) { cmpState.page--; refreshPairs(); } };
  $('#cnext').onclick = () => { cmpState.page++; refreshPairs(); };
  for (const a of main.querySelectorAll('#flips a')) a.onclick = e => { e.preventDefault(); cmpState.va = a.dataset.va; cmpState.vb = a.dataset.vb; cmpState.page = 0; refreshPairs(); };
  await refreshPairs();
}

let pairsAsked = 0; // as rowsAsked

async function refreshPairs() {
  const n = ++pairsAsked;
  let p;
  try {
    p = await api('api/compare/pairs', {changed: cmpState.changed ? 1 : '', page: cmpState.page, va: cmpState.va, vb: cmpState.vb});
  } catch (e) { if (n === pairsAsked) showError(e, 'could not load the compared records'); return; }
  if (n !== pairsAsked) return;
  showError(null, 'could not load the compared records');
  $('#pair-filter').textContent = cmpState.va ? `A ${cmpState.va} → B ${cmpState.vb}` : '';
  $('#pair-total').textContent = `${p.total} records · page ${p.page + 1} of ${Math.max(1, Math.ceil(p.total / p.size))}`;
  $('#cprev').disabled = p.page === 0;
  $('#cnext').disabled = (p.page + 1) * p.size >= p.total;
  $('#pairs tbody').innerHTML = p.pairs.map(x => `<tr class="row" tabindex="0" data-a="${x.a}" data-b="${x.b}"><td>${esc(x.topic)}</td><td>${esc(x.model)}</td><td>${esc(x.variant)}</td><td>${esc(x.intervention)}</td><td class="${esc(x.verdict_a)}">${esc(x.a ? x.verdict_a : '(absent)')}</td><td class="${esc(x.verdict_b)}">${esc(x.b ? x.verdict_b : '(absent)')}</td><td class="text">${esc(x.task)}</td></tr>`).join('');
  for (const tr of document.querySelectorAll('#pairs tr.row')) activate(tr, () => showPair(tr.dataset.a, tr.dataset.b));
}

function diffHTML(ops, side) {
  return ops.map(o => o.op === '=' ? esc(o.text) : o.op === (side === 'a' ? '-' : '+') ? `<span class="${side === 'a' ? 'del' : 'ins'}">${esc(o.text)}</span>` : '').join('');
}

async function showPair(a, b) {
  let v;
  try { v = await api('api/compare/pair', {a, b}); } catch (e) { showError(e, 'could not load the record'); return; }
  showError(null, 'could not load the record');
  const side = (r, s) => r ? `<div class="card"><b>${s.toUpperCase()}</b> <span class="${esc(r.P)}">${esc(r.P)}</span> · confidence ${esc(r.confidence)} · <a class="lineage-link" href="${rowLink(r.row, s)}">lineage</a>
     <h4>I</h4><pre class="diff">${diffHTML(v.diff_I, s)}</pre><h4>R</h4><pre class="diff">${diffHTML(v.diff_R, s)}</pre></div>` : `<div class="card muted">${s.toUpperCase()}: absent</div>`;
  $('#pair').innerHTML = `<h4>Task</h4><pre>${esc(v.task)}</pre><div class="cols">${side(v.a, 'a')}${side(v.b, 'b')}</div>`;
  $('#pair').scrollIntoView();
}

// showError says what failed and why, in the notices above the page (an
// action that fails leaves the page as it was); showError(null, what)
// takes back an error of that kind once the action works again.
function showError(e, what) {
  const el = $('#page-error');
  if (!e && el.dataset.what !== what) return;
  el.hidden = !e;
  el.dataset.what = what;
  el.textContent = e ? `${what}: ${e.message || e}` : '';
}

async function route() {
  const h = location.hash || '#/rows';
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', h.startsWith(a.getAttribute('href')));
  try {
    if (h.startsWith('#/row/')) {
      const [id, q] = h.slice(6).split('?');
      await showLineage(id, new URLSearchParams(q || '').get('side'));
      return;
    }
    if (h.startsWith('#/overview')) { await showOverview(); return; }
    if (h.startsWith('#/compare')) { await showCompare(); return; }
    readHash();
    await showRows();
  } catch (e) {
    $('#main').innerHTML = `<p class="err">${esc(e.message)}</p>`;
  }
}

// showSkipped lists the data files the index left out (unreadable).
function showSkipped() {
  const l = [...(info.skipped || []), ...((info.compare && info.compare.skipped) || []).map(x => 'B: ' + x)];
  $('#skipped').hidden = !l.length;
  $('#skipped summary').textContent = `unreadable data left out of the view (${l.length})`;
  $('#skipped ul').innerHTML = l.map(x => `<li>${esc(x)}</li>`).join('');
}

// showInfo (re)reads what the header shows: the counts, the reports, the
// files left out.
async function showInfo() {
  info = await api('api/info');
  const counts = info.rows || {};
  $('#source').textContent = `${info.name} · ${(counts[3] || 0).toLocaleString()} records · ${(counts[2] || 0).toLocaleString()} answers · ${(counts[1] || 0).toLocaleString()} items`;
  $('#nav-compare').hidden = !info.compare;
  $('#reports').innerHTML = reports(true).map(r => `<a href="${esc(r.href)}" target="_blank">${esc(r.label.replace(/[^ ]*\//, ''))}</a>`).join('');
  showSkipped();
}

function setLive(text, ok) {
  $('#live').textContent = text;
  $('#live').classList.toggle('down', !ok);
}

async function start() {
  // Whatever else fails after start-up is said, not only logged.
  window.addEventListener('unhandledrejection', e => showError(e.reason, 'error'));
  await showInfo();
  // The Rows page writes its own state into the address (replaceState,
  // no hashchange): another address there is a link pasted or followed.
  window.addEventListener('hashchange', () => {
    const rows = location.hash === '' || location.hash.startsWith('#/rows');
    if (rows && $('#rows-view') && location.hash === rowsHash()) return;
    if (rows && !$('#rows-view')) $('#main').innerHTML = '';
    route();
  });
  await route();
  if (!STATIC && window.EventSource) {
    const es = new EventSource('api/events');
    es.addEventListener('update', async ev => {
      const d = JSON.parse(ev.data);
      setLive('updated ' + new Date().toLocaleTimeString() + ' (' + d.changed.join(', ') + ')', true);
      try {
        // The counts change with the data; a run writes its reports.
        await showInfo();
        if (location.hash.startsWith('#/overview')) await showOverview();
        else if (d.changed.includes('data') && $('#rows-view')) await refreshRows();
        showError(null, 'live update failed');
      } catch (e) { showError(e, 'live update failed'); }
    });
    es.addEventListener('hello', () => setLive('live', true));
    // The browser retries a dropped stream by itself (hello again when
    // back); one it gave up on (CLOSED) needs a reload.
    es.onerror = () => setLive(es.readyState === EventSource.CLOSED ? 'disconnected: reload the page to reconnect' : 'disconnected: retrying…', false);
    es.addEventListener('data-error', ev => {
      const d = JSON.parse(ev.data);
      $('#data-error').hidden = !d.error;
      $('#data-error').textContent = d.error ? 'The data changed but cannot be read; the page shows it as last read: ' + d.error : '';
    });
  }
  document.body.dataset.ready = '1';
}
start();
