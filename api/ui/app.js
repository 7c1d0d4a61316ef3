// slotd's live page: every limit with its occupancy, live from the event
// stream (GET /api/slotd/events); the holders and waiters of the selected
// limit (GET /api/slotd/limits/{name}/holders). Plain JavaScript, no build
// step: slotd serves this file as it is in api/ui/.
'use strict';

(() => {
  const ROW_HEIGHT = 36;         // px, as --row in app.css
  const OVERSCAN = 6;            // rows drawn above and below the visible ones
  const PAGE_SIZE = 200;         // the filter's page (Prefect's default and maximum)
  const SOON_SECONDS = 15;       // a lease that expires within this is highlighted
  const RATE_WINDOW = 5;         // seconds: the denial rate's time constant
  const HOLDERS_MIN_GAP = 150;   // ms between two reads of the same limit's holders
  const MAX_HOLDER_ROWS = 200;   // holders drawn; the rest are counted
  const EVENT_TYPES = [
    'limit.created', 'limit.updated', 'limit.deleted', 'limit.reset',
    'slots.acquired', 'slots.refused', 'slots.released', 'lease.expired', 'lease.renewed',
  ];

  const $ = (id) => document.getElementById(id);
  const el = {
    search: $('search'), matches: $('matches'), viewport: $('viewport'), spacer: $('spacer'), empty: $('empty'),
    detail: $('detail'), placeholder: $('placeholder'), live: $('live'), liveText: $('live-text'),
    notice: $('notice'), noticeText: $('notice-text'), noticeAction: $('notice-action'),
    totalLimits: $('total-limits'), totalSlots: $('total-slots'),
    totalCapacity: $('total-capacity'), totalDenials: $('total-denials'),
  };

  // Every limit by id: {data (the API's JSON), updatedUs, seenAt (ms, when
  // data was read), rate and rateAt (the denial rate), generation}.
  const limits = new Map();
  // Ids deleted while a listing is under way, which its pages must not
  // bring back; emptied when it ends.
  const deleted = new Set();
  let view = [];              // ids shown: filtered and sorted
  let viewDirty = true;
  let query = '';
  let sortKey = 'name';
  let selectedId = null;
  let selectedName = null;    // kept when the limit is deleted or not yet listed
  let generation = 0;         // bumped by every full listing
  let loading = false;
  let liveState = 'connecting';
  let renderQueued = false;
  // The detail panel is drawn again only when what it shows changed (or the
  // clock moved), so events of other limits leave it, and a selection in it,
  // alone.
  let detailDirty = true;
  const rows = [];            // the pool of row elements
  const skewSamples = [];     // server clock minus ours, from events' `at`

  const holders = { forId: null, data: null, error: null, inFlight: false, stale: false, lastAt: 0, timer: 0 };

  // ---- time and numbers ----------------------------------------------------

  // Prefect's instants ("2026-12-03T06:13:15.123456Z", no fraction on a
  // whole second) as microseconds since the epoch; NaN when not one.
  function instantUs(text) {
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)$/.exec(text || '');
    if (!m) return NaN;
    let ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    if (m[8] !== 'Z') {
      const sign = m[8][0] === '-' ? 1 : -1;
      ms += sign * (+m[8].slice(1, 3) * 60 + +m[8].slice(4, 6)) * 60000;
    }
    return ms * 1000 + (m[7] ? +m[7].padEnd(6, '0') : 0);
  }

  function serverNowMs() {
    if (skewSamples.length === 0) return Date.now();
    return Date.now() + Math.max(...skewSamples);
  }

  const intFormat = new Intl.NumberFormat('en-US');
  const fmtInt = (n) => intFormat.format(n);

  function fmtRate(perSecond) {
    if (perSecond < 0.05) return '0';
    if (perSecond < 10) return perSecond.toFixed(1);
    return fmtInt(Math.round(perSecond));
  }

  function fmtDuration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
    return `${Math.floor(s / 86400)}d ${Math.floor(s / 3600) % 24}h`;
  }

  // ---- the model -----------------------------------------------------------

  // Slots held now: the value read, less what decay took since.
  function activeNow(entry, now) {
    const d = entry.data;
    const decay = d.slot_decay_per_second || 0;
    if (decay <= 0 || !d.active_slots) return d.active_slots;
    return Math.max(0, Math.ceil(d.active_slots - decay * (now - entry.seenAt) / 1000));
  }

  function rateNow(entry, now) {
    if (!entry.rate) return 0;
    return entry.rate * Math.exp(-(now - entry.rateAt) / 1000 / RATE_WINDOW);
  }

  // Takes a limit as the API shows it, unless what is held is newer.
  // `refused`: it comes with a refusal (a slots.refused event).
  function upsert(data, now, fromListing, refused) {
    if (fromListing && deleted.has(data.id)) return;
    const updatedUs = instantUs(data.updated);
    const old = limits.get(data.id);
    if (old && updatedUs < old.updatedUs) {
      old.generation = generation;
      return;
    }
    const entry = old || { rate: 0, rateAt: now };
    // Denials per second from successive denied_slots. The listing has
    // none, so the first refusal after it counts one slot.
    if (old && typeof data.denied_slots === 'number') {
      const before = old.data.denied_slots;
      const rise = typeof before === 'number' ? data.denied_slots - before : (refused ? 1 : 0);
      if (rise > 0) {
        entry.rate = rateNow(entry, now) + rise / RATE_WINDOW;
        entry.rateAt = now;
      }
    }
    if (old && typeof data.denied_slots !== 'number' && typeof old.data.denied_slots === 'number') {
      data = Object.assign({}, data, {
        denied_slots: old.data.denied_slots,
        avg_slot_occupancy_seconds: old.data.avg_slot_occupancy_seconds,
      });
    }
    if (!old || old.data.name !== data.name || sortKey !== 'name') viewDirty = true;
    entry.data = data;
    entry.updatedUs = updatedUs;
    entry.seenAt = now;
    entry.generation = generation;
    limits.set(data.id, entry);
    if (data.id === selectedId) {
      selectedName = data.name;
      detailDirty = true;
    }
    if (!selectedId && selectedName !== null && data.name === selectedName) selectedId = data.id;
  }

  function remove(id) {
    if (loading) deleted.add(id);
    if (limits.delete(id)) viewDirty = true;
    if (id === selectedId) detailDirty = true;
  }

  function rebuildView() {
    const q = query.toLowerCase();
    const ids = [];
    for (const [id, entry] of limits) {
      if (!q || entry.data.name.toLowerCase().includes(q) || id.startsWith(q)) ids.push(id);
    }
    const byName = (a, b) => {
      const x = limits.get(a).data.name;
      const y = limits.get(b).data.name;
      return x < y ? -1 : x > y ? 1 : 0;
    };
    const now = Date.now();
    if (sortKey === 'occupancy') {
      const share = (id) => {
        const e = limits.get(id);
        return e.data.limit > 0 ? activeNow(e, now) / e.data.limit : (activeNow(e, now) > 0 ? Infinity : 0);
      };
      const key = new Map(ids.map((id) => [id, share(id)]));
      ids.sort((a, b) => key.get(b) - key.get(a) || byName(a, b));
    } else if (sortKey === 'denials') {
      const key = new Map(ids.map((id) => [id, rateNow(limits.get(id), now)]));
      ids.sort((a, b) => key.get(b) - key.get(a) || byName(a, b));
    } else {
      ids.sort(byName);
    }
    view = ids;
    viewDirty = false;
    el.matches.hidden = !query;
    el.matches.textContent = `${fmtInt(ids.length)} of ${fmtInt(limits.size)}`;
  }

  // ---- the server ----------------------------------------------------------

  class HttpError extends Error {
    constructor(status, detail) {
      super(`HTTP ${status}${detail ? `: ${detail}` : ''}`);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const init = { method, headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { /* not JSON: reported below */ }
    if (!res.ok) throw new HttpError(res.status, json && (json.detail || json.exception_message));
    return json;
  }

  // Lists every limit, page by page (the stream is opened first, so nothing
  // that changes meanwhile is missed); then drops what the listing did not
  // show and no event touched since it began.
  async function loadAll() {
    const mine = ++generation;
    loading = true;
    showNotice('', '');
    updateEmpty();
    try {
      for (let offset = 0; ; ) {
        const page = await api('POST', '/api/v2/concurrency_limits/filter', { offset, limit: PAGE_SIZE });
        if (mine !== generation) return;
        if (!Array.isArray(page) || page.length === 0) break;
        const now = Date.now();
        for (const data of page) upsert(data, now, true, false);
        offset += page.length;
        el.totalLimits.textContent = fmtInt(limits.size);
      }
      for (const [id, entry] of limits) {
        if (entry.generation !== mine) limits.delete(id);
      }
      deleted.clear();
      viewDirty = true;
      detailDirty = true;
      if (liveState === 'unavailable') showLiveUnavailable();
    } catch (err) {
      if (mine !== generation) return;
      const why = err.status === 401
        ? 'slotd asks for credentials: reload the page to sign in.'
        : `Could not list the limits (${err.message}).`;
      showNotice(why, 'error', true);
    } finally {
      if (mine === generation) loading = false;
      queueRender();
    }
  }

  function onChange(event) {
    let change;
    try { change = JSON.parse(event.data); } catch (e) { return; }
    const now = Date.now();
    const at = instantUs(change.at);
    if (!Number.isNaN(at)) {
      skewSamples.push(at / 1000 - now);
      if (skewSamples.length > 20) skewSamples.shift();
    }
    let touchesSelected = false;
    const refused = event.type === 'slots.refused';
    for (const data of change.limits || []) {
      upsert(data, now, false, refused);
      if (data.id === selectedId) touchesSelected = true;
    }
    for (const id of change.deleted || []) {
      remove(id);
      if (id === selectedId) touchesSelected = true;
    }
    if (!touchesSelected && holders.data && change.ended_leases) {
      const held = new Set(holders.data.holders.map((h) => h.lease_id));
      touchesSelected = change.ended_leases.some((id) => held.has(id));
    }
    if (touchesSelected) refreshHolders();
    queueRender();
  }

  let stream = null;
  function connect() {
    let opened = false;
    stream = new EventSource('/api/slotd/events');
    stream.onopen = () => {
      opened = true;
      setLive('live');
      if (el.notice.dataset.kind === 'live') showNotice('', '');
    };
    stream.onerror = () => {
      if (stream.readyState === EventSource.CLOSED) {
        // The server refused the stream (no such route, or an error): the
        // browser does not retry that by itself.
        setLive('unavailable');
        showLiveUnavailable();
        if (opened) setTimeout(reconnect, 5000);
      } else {
        setLive('reconnecting');
      }
    };
    for (const type of EVENT_TYPES) stream.addEventListener(type, onChange);
    // The server no longer has the events after the last one seen: start over.
    stream.addEventListener('reset', () => loadAll());
  }

  // A new EventSource does not resume where the old one stopped: list again.
  function reconnect() {
    if (stream) stream.close();
    connect();
    loadAll();
  }

  function setLive(state) {
    liveState = state;
    el.live.dataset.state = state;
    el.liveText.textContent = {
      connecting: 'Connecting', live: 'Live', reconnecting: 'Reconnecting', unavailable: 'Not live',
    }[state];
  }

  function showLiveUnavailable() {
    showNotice('Live updates unavailable: slotd did not open its event stream (GET /api/slotd/events). '
      + 'The list shows the limits as they were when it was read.', 'live', true);
  }

  function showNotice(text, kind, withReload) {
    el.notice.hidden = !text;
    el.noticeText.textContent = text;
    el.notice.dataset.kind = kind;
    el.noticeAction.hidden = !withReload;
  }

  // ---- the list ------------------------------------------------------------

  function makeRow() {
    const row = document.createElement('div');
    row.className = 'row';
    row.setAttribute('role', 'option');
    row.innerHTML = '<div class="name"><span class="prefix"></span><span class="base"></span></div>'
      + '<div class="occ"><div class="track"><div class="fill"></div></div>'
      + '<span class="occ-text"><b class="held"></b> / <span class="cap"></span></span></div>'
      + '<div class="rate"></div><div class="decay"></div><div><span class="chip"></span></div>';
    row.parts = {
      prefix: row.querySelector('.prefix'), base: row.querySelector('.base'),
      fill: row.querySelector('.fill'), held: row.querySelector('.held'), cap: row.querySelector('.cap'),
      rate: row.querySelector('.rate'), decay: row.querySelector('.decay'), chip: row.querySelector('.chip'),
    };
    row.shown = {};
    row.addEventListener('click', () => select(row.dataset.id));
    el.viewport.appendChild(row);
    return row;
  }

  // Sets a text, class or attribute only when it changed, so a steady row
  // costs no DOM work on a redraw.
  function put(row, key, value, apply) {
    if (row.shown[key] === value) return;
    row.shown[key] = value;
    apply(value);
  }

  function fillRow(row, id, index, now) {
    const entry = limits.get(id);
    const d = entry.data;
    const p = row.parts;
    const held = activeNow(entry, now);
    const share = d.limit > 0 ? Math.min(1, held / d.limit) : (held > 0 ? 1 : 0);
    const rate = rateNow(entry, now);
    const tag = d.name.startsWith('tag:');
    put(row, 'top', index * ROW_HEIGHT, (v) => { row.style.transform = `translateY(${v}px)`; });
    put(row, 'id', id, (v) => { row.dataset.id = v; });
    put(row, 'name', d.name, (v) => {
      row.dataset.name = v;
      p.prefix.textContent = tag ? 'tag:' : '';
      p.base.textContent = tag ? v.slice(4) : v;
      row.title = v;
    });
    put(row, 'held', held, (v) => { p.held.textContent = fmtInt(v); row.dataset.active = v; });
    put(row, 'cap', d.limit, (v) => { p.cap.textContent = fmtInt(v); row.dataset.limit = v; });
    put(row, 'share', share, (v) => { p.fill.style.width = `${(v * 100).toFixed(2)}%`; });
    put(row, 'level', share >= 1 ? 'full' : share >= 0.7 ? 'warn' : '', (v) => { p.fill.className = `fill ${v}`; });
    const rateText = fmtRate(rate);
    put(row, 'rate', rateText, (v) => {
      p.rate.textContent = v === '0' ? '–' : v;
      p.rate.className = `rate${v === '0' ? ' zero' : rate >= 1 ? ' hot' : ''}`;
    });
    const decay = d.slot_decay_per_second || 0;
    put(row, 'decay', decay, (v) => {
      p.decay.textContent = v > 0 ? `${v}/s` : '–';
      p.decay.className = `decay${v > 0 ? '' : ' zero'}`;
    });
    put(row, 'active', d.active, (v) => {
      p.chip.textContent = v ? 'active' : 'inactive';
      p.chip.className = `chip ${v ? 'on' : 'off'}`;
      row.classList.toggle('inactive', !v);
    });
    put(row, 'selected', id === selectedId, (v) => { row.setAttribute('aria-selected', String(v)); });
  }

  function renderList(now) {
    if (viewDirty) rebuildView();
    el.spacer.style.height = `${view.length * ROW_HEIGHT}px`;
    const top = el.viewport.scrollTop;
    const height = el.viewport.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(view.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const needed = last - first;
    while (rows.length < needed) rows.push(makeRow());
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (i < needed) {
        if (row.hidden) row.hidden = false;
        fillRow(row, view[first + i], first + i, now);
      } else if (!row.hidden) {
        row.hidden = true;
      }
    }
    updateEmpty();
  }

  function updateEmpty() {
    let text = '';
    if (view.length === 0) {
      if (loading) text = 'Loading the limits…';
      else if (limits.size === 0) text = 'No limits yet. Create one with POST /api/v2/concurrency_limits/.';
      else text = `No limit matches “${query}”.`;
    }
    el.empty.hidden = !text;
    el.empty.textContent = text;
  }

  function renderTotals(now) {
    let slots = 0;
    let capacity = 0;
    let denials = 0;
    for (const entry of limits.values()) {
      slots += activeNow(entry, now);
      capacity += entry.data.limit;
      denials += rateNow(entry, now);
    }
    el.totalLimits.textContent = fmtInt(limits.size);
    el.totalSlots.textContent = fmtInt(slots);
    el.totalCapacity.textContent = fmtInt(capacity);
    el.totalDenials.textContent = fmtRate(denials);
  }

  // ---- the selected limit --------------------------------------------------

  function select(id) {
    if (!limits.has(id)) return;
    selectedId = id;
    selectedName = limits.get(id).data.name;
    history.replaceState(null, '', `#limit=${encodeURIComponent(selectedName)}`);
    holders.forId = null;
    holders.data = null;
    holders.error = null;
    detailDirty = true;
    refreshHolders();
    queueRender();
  }

  function moveSelection(step) {
    if (view.length === 0) return;
    const at = view.indexOf(selectedId);
    const next = Math.max(0, Math.min(view.length - 1, at < 0 ? 0 : at + step));
    select(view[next]);
    const top = next * ROW_HEIGHT;
    const vp = el.viewport;
    if (top < vp.scrollTop) vp.scrollTop = top;
    else if (top + ROW_HEIGHT > vp.scrollTop + vp.clientHeight) vp.scrollTop = top + ROW_HEIGHT - vp.clientHeight;
  }

  // Reads the holders again: at once, or (when a read is under way or one
  // was just made) right after, so a busy limit is read at a bounded rate.
  function refreshHolders() {
    if (!selectedId) return;
    if (holders.inFlight) {
      holders.stale = true;
      return;
    }
    const wait = holders.lastAt + HOLDERS_MIN_GAP - Date.now();
    if (wait > 0) {
      if (!holders.timer) holders.timer = setTimeout(() => { holders.timer = 0; refreshHolders(); }, wait);
      return;
    }
    const id = selectedId;
    const entry = limits.get(id);
    if (!entry) return;
    holders.inFlight = true;
    holders.stale = false;
    holders.lastAt = Date.now();
    api('GET', `/api/slotd/limits/${encodeURIComponent(entry.data.name)}/holders`)
      .then((body) => {
        if (id !== selectedId) return;
        // The holders route answered a bare list before it knew of waiters.
        holders.data = Array.isArray(body)
          ? { holders: body, waiters: null, waiting: null }
          : { holders: body.holders || [], waiters: body.waiters || [], waiting: body.waiting };
        holders.forId = id;
        holders.error = null;
      })
      .catch((err) => {
        if (id !== selectedId) return;
        holders.forId = id;
        holders.data = null;
        if (err.status === 404 && entry.data.name.includes('/')) {
          holders.error = 'The holders route cannot look up a name with “/” in it.';
        } else if (err.status === 404) {
          holders.error = 'This limit no longer exists.';
        } else {
          holders.error = `Could not read the holders (${err.message}).`;
        }
      })
      .finally(() => {
        holders.inFlight = false;
        if (holders.stale) refreshHolders();
        detailDirty = true;
        queueRender();
      });
  }

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key.startsWith('data-')) node.dataset[key.slice(5).replace(/-(\w)/g, (_, c) => c.toUpperCase())] = value;
      else node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function stat(label, value, extra) {
    return h('div', { class: `stat${extra ? ` ${extra}` : ''}` }, h('div', { class: 'label' }, label), value);
  }

  function holderRow(lease, nowServer) {
    const created = instantUs(lease.created) / 1000;
    const expires = instantUs(lease.expiration) / 1000;
    const left = (expires - nowServer) / 1000;
    const cls = left <= 0 ? 'expired' : left <= SOON_SECONDS ? 'soon' : '';
    const who = lease.holder
      ? [lease.holder.type, ' ', h('span', { class: 'sub', title: lease.holder.id }, lease.holder.id.slice(0, 8))]
      : [h('span', { class: 'sub' }, 'none')];
    return h('tr', { class: cls, 'data-lease-id': lease.lease_id },
      h('td', { class: 'mono', title: lease.lease_id }, lease.lease_id.slice(0, 8)),
      h('td', null, who),
      h('td', { class: 'num' }, fmtInt(lease.slots)),
      h('td', { class: 'num' }, fmtDuration((nowServer - created) / 1000)),
      h('td', { class: 'num expires' }, left <= 0 ? 'expired' : fmtDuration(Math.ceil(left))),
      h('td', { class: 'num' }, typeof lease.renewals === 'number' ? fmtInt(lease.renewals) : '–'));
  }

  function renderDetail(now) {
    const entry = selectedId ? limits.get(selectedId) : null;
    if (!selectedId) {
      if (!el.placeholder.isConnected) el.detail.replaceChildren(el.placeholder);
      return;
    }
    const parts = [];
    if (!entry) {
      parts.push(h('div', { class: 'detail-head' }, h('h2', null, selectedName || '')),
        h('p', { class: 'deleted-note' }, 'This limit was deleted.'));
      el.detail.replaceChildren(...parts);
      return;
    }
    const d = entry.data;
    const held = activeNow(entry, now);
    const share = d.limit > 0 ? Math.min(1, held / d.limit) : (held > 0 ? 1 : 0);
    const level = share >= 1 ? 'full' : share >= 0.7 ? 'warn' : '';
    const fill = h('div', { class: `fill ${level}` });
    fill.style.width = `${(share * 100).toFixed(2)}%`;
    parts.push(h('div', { class: 'detail-head' },
      h('h2', null, d.name, h('span', { class: `chip ${d.active ? 'on' : 'off'}` }, d.active ? 'active' : 'inactive')),
      h('div', { class: 'id' }, d.id)));
    const denied = typeof d.denied_slots === 'number' ? fmtInt(d.denied_slots) : '–';
    const avg = typeof d.avg_slot_occupancy_seconds === 'number' ? `${d.avg_slot_occupancy_seconds.toFixed(1)}s` : '–';
    parts.push(h('div', { class: 'stats' },
      stat('Slots held', h('div', { class: 'value', id: 'detail-occupancy' }, `${fmtInt(held)} / ${fmtInt(d.limit)}`,
        h('div', { class: 'track' }, fill)), 'wide'),
      stat('Denied/s', h('div', { class: 'value' }, fmtRate(rateNow(entry, now)))),
      stat('Denied slots', h('div', { class: 'value' }, denied)),
      stat('Decay', h('div', { class: 'value' }, d.slot_decay_per_second > 0 ? `${d.slot_decay_per_second}/s` : '–')),
      stat('Avg occupancy', h('div', { class: 'value' }, avg)),
      stat('Created', h('div', { class: 'value', title: d.created }, `${fmtDuration((now - instantUs(d.created) / 1000) / 1000)} ago`)),
      stat('Updated', h('div', { class: 'value', title: d.updated }, `${fmtDuration((now - instantUs(d.updated) / 1000) / 1000)} ago`))));

    const ready = holders.forId === selectedId;
    const list = ready && holders.data ? holders.data.holders : [];
    const section = h('div', { class: 'section', id: 'holders' },
      h('h3', null, 'Holders', ready && holders.data ? h('span', { class: 'count' }, fmtInt(list.length)) : null));
    if (!ready) {
      section.append(h('p', { class: 'none' }, 'Reading…'));
    } else if (holders.error) {
      section.append(h('p', { class: 'none' }, holders.error));
    } else if (list.length === 0) {
      section.append(h('p', { class: 'none' }, 'No lease holds this limit.'));
    } else {
      const nowServer = serverNowMs();
      const sorted = list.slice().sort((a, b) => instantUs(a.expiration) - instantUs(b.expiration));
      const shown = sorted.slice(0, MAX_HOLDER_ROWS);
      section.append(h('div', { class: 'table-wrap' }, h('table', null,
        h('thead', null, h('tr', null, h('th', null, 'Lease'), h('th', null, 'Holder'), h('th', { class: 'num' }, 'Slots'),
          h('th', { class: 'num' }, 'Age'), h('th', { class: 'num' }, 'Expires in'), h('th', { class: 'num' }, 'Renewals'))),
        h('tbody', null, shown.map((lease) => holderRow(lease, nowServer))))));
      if (sorted.length > shown.length) {
        section.append(h('p', { class: 'none' }, `and ${fmtInt(sorted.length - shown.length)} more, expiring later`));
      }
    }
    parts.push(section);

    if (ready && holders.data && holders.data.waiters) {
      const waiters = holders.data.waiters;
      const count = typeof holders.data.waiting === 'number' ? holders.data.waiting : waiters.length;
      const ws = h('div', { class: 'section', id: 'waiters' },
        h('h3', null, 'Waiting', h('span', { class: 'count' }, fmtInt(count))));
      if (waiters.length === 0) {
        ws.append(h('p', { class: 'none' }, 'Nothing waits for this limit.'));
      } else {
        const nowServer = serverNowMs();
        ws.append(h('div', { class: 'table-wrap' }, h('table', null,
          h('thead', null, h('tr', null, h('th', null, 'Kind'), h('th', null, 'Limits'),
            h('th', { class: 'num' }, 'Slots'), h('th', { class: 'num' }, 'Waiting'))),
          h('tbody', null, waiters.map((w) => h('tr', null,
            h('td', null, w.mode === 'no_lease' ? 'no lease' : w.mode),
            h('td', null, (w.limits || []).join(', ')),
            h('td', { class: 'num' }, fmtInt(w.slots)),
            h('td', { class: 'num' }, fmtDuration((nowServer - instantUs(w.since) / 1000) / 1000))))))));
      }
      parts.push(ws);
    }
    el.detail.replaceChildren(...parts);
  }

  // ---- drawing -------------------------------------------------------------

  function queueRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      const now = Date.now();
      renderList(now);
      renderTotals(now);
      if (detailDirty) {
        detailDirty = false;
        renderDetail(now);
      }
    });
  }

  // ---- start ---------------------------------------------------------------

  let searchTimer = 0;
  el.search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      query = el.search.value.trim();
      viewDirty = true;
      el.viewport.scrollTop = 0;
      queueRender();
    }, 60);
  });
  el.search.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      el.search.value = '';
      el.search.dispatchEvent(new Event('input'));
      el.search.blur();
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      el.viewport.focus();
      moveSelection(selectedId ? 1 : 0);
    } else if (e.key === 'Enter' && view.length > 0) {
      select(view[0]);
    }
  });
  document.addEventListener('keydown', (e) => {
    if (e.target === el.search) return;
    if (e.key === '/') {
      e.preventDefault();
      el.search.focus();
      el.search.select();
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      moveSelection(e.key === 'ArrowDown' ? 1 : -1);
    } else if (e.key === 'Escape' && selectedId) {
      selectedId = null;
      selectedName = null;
      history.replaceState(null, '', location.pathname);
      detailDirty = true;
      queueRender();
    }
  });
  for (const button of document.querySelectorAll('.sort')) {
    button.addEventListener('click', () => {
      sortKey = button.dataset.sort;
      for (const b of document.querySelectorAll('.sort')) b.setAttribute('aria-pressed', String(b === button));
      viewDirty = true;
      queueRender();
    });
  }
  el.viewport.addEventListener('scroll', queueRender, { passive: true });
  window.addEventListener('resize', queueRender);
  el.noticeAction.addEventListener('click', () => loadAll());

  // A link to a limit: #limit=<name>.
  const linked = /^#limit=(.+)$/.exec(location.hash);
  if (linked) selectedName = decodeURIComponent(linked[1]);

  // The clock moves bars of decaying limits, denial rates and leases' times:
  // a redraw each second, of what is on screen only. Orders by occupancy or
  // denials are refreshed with it.
  setInterval(() => {
    if (sortKey !== 'name') viewDirty = true;
    detailDirty = true;
    queueRender();
  }, 1000);

  connect();
  loadAll().then(() => {
    if (selectedId && !holders.forId) select(selectedId);
  });
})();
