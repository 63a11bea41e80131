// kefu local host: the chat page. Plain JavaScript, no build step, nothing loaded from
// elsewhere. Everything shown is built with textContent and createElement, never innerHTML:
// the only markup interpreted is the <a> of a text message, parsed here by hand.
'use strict';

(() => {
  const $ = (sel) => document.querySelector(sel);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  function svg(viewBox, paths) {
    const s = document.createElementNS(SVG_NS, 'svg');
    s.setAttribute('viewBox', viewBox);
    s.setAttribute('aria-hidden', 'true');
    for (const [tag, attrs] of paths) {
      const p = document.createElementNS(SVG_NS, tag);
      for (const [k, v] of Object.entries(attrs)) p.setAttribute(k, v);
      s.appendChild(p);
    }
    return s;
  }
  const icons = {
    kefu: () => svg('0 0 24 24', [['path', { d: 'M12 3a8 8 0 0 0-8 8v4.5A2.5 2.5 0 0 0 6.5 18H8v-6H6v-1a6 6 0 0 1 12 0v1h-2v6h2v.5a1.5 1.5 0 0 1-1.5 1.5H13v2h3.5a3.5 3.5 0 0 0 3.5-3.5V11a8 8 0 0 0-8-8z' }]]),
    user: () => svg('0 0 24 24', [['circle', { cx: 12, cy: 8.5, r: 4.2 }], ['path', { d: 'M3.8 21c.7-4.4 4-7 8.2-7s7.5 2.6 8.2 7z' }]]),
    miniprogram: () => svg('0 0 24 24', [['path', { d: 'M9.2 14.6a2.2 2.2 0 1 1-2-3.2m9.6-2.8a2.2 2.2 0 1 1 2 3.2M9.2 14.6V9.3a2.2 2.2 0 0 1 4.4 0v5.4a2.2 2.2 0 0 0 4.4 0', 'stroke-width': 2, 'stroke-linecap': 'round' }]]),
    link: () => svg('0 0 24 24', [['path', { d: 'M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1', 'stroke-width': 1.8, 'stroke-linecap': 'round' }]]),
  };

  // ——— State ———

  const state = {
    openid: tabOpenID(),
    mode: localStorage.getItem('kefu.mode') || 'safe',
    format: localStorage.getItem('kefu.format') || 'json',
    config: null,
    after: 0, // the sequence number of the last conversation step shown
    lastShown: 0, // time of the last message shown, for the time separators
    notes: [], // notes waiting for the conversation to catch up: {seq, show}
    typingTimer: 0,
    selected: '', // the exchange shown in the panel
    exchanges: new Map(), // id -> exchange, as the host answered
  };

  // One demo user per tab: the OpenID lives in sessionStorage, so a reload keeps the
  // conversation and a second tab is a second user.
  function tabOpenID() {
    let id = sessionStorage.getItem('kefu.openid');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id || '')) {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
      const bytes = new Uint8Array(23);
      crypto.getRandomValues(bytes);
      id = 'okefu' + Array.from(bytes, (b) => alphabet[b & 63]).join('');
      sessionStorage.setItem('kefu.openid', id);
    }
    return id;
  }

  async function call(path, body) {
    const init = body === undefined ? {} : {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    };
    const res = await fetch(path, init);
    const data = await res.json().catch(() => ({ error: res.status + ' ' + res.statusText }));
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // ——— Screens ———

  function showChat() {
    $('#miniprogram').classList.add('hidden');
    $('#chat').classList.remove('hidden');
  }

  function showMiniProgram() {
    $('#chat').classList.add('hidden');
    $('#miniprogram').classList.remove('hidden');
  }

  let toastTimer = 0;
  function toast(...parts) {
    const t = $('#toast');
    t.replaceChildren(...parts.map((p) => (typeof p === 'string' ? document.createTextNode(p) : p)));
    t.classList.remove('hidden');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => t.classList.add('hidden'), 2600);
  }

  function setTyping(on) {
    const title = $('#chat-title');
    clearTimeout(state.typingTimer);
    title.textContent = on ? '对方正在输入…' : '客服';
    title.classList.toggle('typing', on);
    if (on) state.typingTimer = setTimeout(() => setTyping(false), 15000); // WeChat shows it 15 s at most
  }

  // ——— The conversation ———

  const messages = () => $('#messages');

  function append(node) {
    const box = messages();
    box.appendChild(node);
    box.scrollTop = box.scrollHeight;
  }

  function keepAtBottom(img) {
    img.addEventListener('load', () => {
      const box = messages();
      box.scrollTop = box.scrollHeight;
    });
  }

  function timeSeparator(when) {
    const t = when ? new Date(when).getTime() : Date.now();
    if (t - state.lastShown < 3 * 60 * 1000) return;
    state.lastShown = t;
    const d = new Date(t);
    const sep = el('div', 'time-sep');
    sep.appendChild(el('span', '', String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0')));
    append(sep);
  }

  function note(cls, text, small) {
    const n = el('div', 'note ' + cls);
    const s = el('span', '', text);
    if (small) s.appendChild(el('small', '', small));
    n.appendChild(s);
    append(n);
    return n;
  }

  function messageRow(who, when) {
    timeSeparator(when);
    const row = el('div', 'msg ' + who);
    const avatar = el('div', 'avatar');
    avatar.appendChild(who === 'me' ? icons.user() : icons.kefu());
    const content = el('div', 'content');
    row.append(avatar, content);
    return { row, content };
  }

  // richText renders a text message as WeChat does: plain text, with the <a> links of a
  // customer-service message turned into links. A link with data-miniprogram-appid and
  // data-miniprogram-path opens a page of the mini program; one with only an http(s) href
  // opens a web page. Every other character is shown as it is.
  function richText(target, content) {
    const anchor = /<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi;
    let last = 0;
    for (let m; (m = anchor.exec(content));) {
      plainText(target, content.slice(last, m.index));
      target.appendChild(linkNode(parseAttrs(m[1]), m[2]) || document.createTextNode(m[0]));
      last = anchor.lastIndex;
    }
    plainText(target, content.slice(last));
  }

  function plainText(target, s) {
    s.split('\n').forEach((line, i) => {
      if (i > 0) target.appendChild(document.createElement('br'));
      if (line) target.appendChild(document.createTextNode(line));
    });
  }

  function parseAttrs(s) {
    const attrs = {};
    const re = /([A-Za-z_:][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g;
    for (let m; (m = re.exec(s));) {
      attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
    }
    return attrs;
  }

  function decodeEntities(s) {
    return s.replace(/&(amp|lt|gt|quot|#39|apos);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'" })[e]);
  }

  function linkNode(attrs, label) {
    const text = decodeEntities(label.replace(/<[^>]*>/g, ''));
    const appid = attrs['data-miniprogram-appid'];
    const path = attrs['data-miniprogram-path'];
    if (appid && path) {
      const a = el('span', 'mp-link');
      a.setAttribute('role', 'link');
      a.tabIndex = 0;
      a.dataset.appid = appid;
      a.dataset.path = path;
      a.title = '打开小程序页面 ' + path;
      a.append(icons.miniprogram(), document.createTextNode(text));
      const foreign = state.config && appid !== state.config.appid;
      const chip = el('span', 'mp-path' + (foreign ? ' foreign' : ''), foreign ? '其他小程序 ' + appid + ' · ' + path : path);
      const open = () => toast(foreign ? '微信只打开本小程序（或关联小程序）的页面：' : '打开小程序页面：', el('br'), el('code', '', path));
      a.addEventListener('click', open);
      const frag = document.createDocumentFragment();
      frag.append(a, chip);
      return frag;
    }
    const href = attrs.href || '';
    if (/^https?:\/\//i.test(href)) {
      const a = el('a', 'weblink', text);
      a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      return a;
    }
    return null;
  }

  function textBubble(content, rich) {
    const b = el('div', 'bubble');
    if (rich) richText(b, content);
    else plainText(b, content);
    return b;
  }

  function imageNode(src) {
    const img = el('img', 'media');
    img.alt = '图片';
    img.src = src;
    keepAtBottom(img);
    return img;
  }

  function linkCard(link) {
    const a = el('a', 'linkcard');
    a.href = link.url;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.title = link.url;
    a.appendChild(el('div', 'linkcard-title', link.title));
    const row = el('div', 'linkcard-row');
    row.appendChild(el('div', 'linkcard-desc', link.description || link.url));
    const placeholder = () => {
      const p = el('div', 'linkcard-thumb placeholder');
      p.appendChild(icons.link());
      return p;
    };
    if (link.thumb_url) {
      // WeChat downloads thumb_url itself; shown here from the same public URL, or a
      // placeholder when it cannot be loaded (offline, or an example address).
      const img = el('img', 'linkcard-thumb');
      img.alt = '';
      img.referrerPolicy = 'no-referrer';
      img.src = link.thumb_url;
      img.addEventListener('error', () => img.replaceWith(placeholder()), { once: true });
      row.appendChild(img);
    } else {
      row.appendChild(placeholder());
    }
    a.appendChild(row);
    return a;
  }

  function miniProgramCard(card) {
    const c = el('div', 'mpcard');
    const head = el('div', 'mpcard-head');
    const logo = el('span', 'mpcard-logo');
    logo.appendChild(icons.miniprogram());
    head.append(logo, document.createTextNode('kefu 示例小程序'));
    c.append(head, el('div', 'mpcard-title', card.title));
    if (card.thumb_url) {
      const img = el('img', 'mpcard-thumb');
      img.alt = card.title;
      img.src = card.thumb_url;
      keepAtBottom(img);
      c.appendChild(img);
    } else {
      c.appendChild(el('div', 'mpcard-thumb placeholder', card.pagepath));
    }
    const foot = el('div', 'mpcard-foot');
    foot.append(icons.miniprogram(), document.createTextNode('小程序'));
    c.appendChild(foot);
    c.title = card.pagepath;
    c.addEventListener('click', () => toast('打开小程序页面：', el('br'), el('code', '', card.pagepath)));
    return c;
  }

  function messageNode(m, rich) {
    switch (m.type) {
      case 'text': return textBubble(m.text || '', rich);
      case 'image': return imageNode(m.image_url);
      case 'link': return linkCard(m.link);
      case 'miniprogrampage': return miniProgramCard(m.card);
      default: return textBubble('[' + m.type + ']', false);
    }
  }

  // A step of the conversation as WeChat delivered it.
  function showEvent(ev) {
    if (ev.kind === 'typing') {
      // A replayed history shows typing only while it would still be on.
      setTyping(ev.typing && Date.now() - new Date(ev.time).getTime() < 15000);
    } else if (ev.kind === 'message' && ev.message) {
      setTyping(false); // a message ends the typing state
      const { row, content } = messageRow('kefu', ev.time);
      content.appendChild(messageNode(ev.message, true));
      append(row);
    }
    state.after = Math.max(state.after, ev.seq);
    flushNotes();
  }

  // Notes about an exchange (the hand-over, a failure) wait until the replies it caused are
  // shown, so that they appear in the order the user would see them.
  function queueNote(seq, show) {
    state.notes.push({ seq, show });
    flushNotes();
  }

  function flushNotes(all) {
    const ready = state.notes.filter((n) => all || n.seq <= state.after);
    state.notes = state.notes.filter((n) => !(all || n.seq <= state.after));
    ready.forEach((n) => n.show());
  }

  // What the user did: a bubble (or the entry note) now, marked pending until the push was
  // answered.
  function showUserAction(msg, when) {
    if (msg.type === 'event') {
      timeSeparator(when);
      const n = note('entered', '通过「' + msg.session_from + '」进入客服会话');
      return { node: n, status: null };
    }
    const { row, content } = messageRow('me', when);
    content.appendChild(messageNode(msg, false));
    const status = el('div', 'status pending');
    row.appendChild(status); // beside the bubble, away from the avatar
    append(row);
    return { node: row, status };
  }

  function pushFailed(x) {
    if (x.error) return '推送没有得到答复：' + x.error;
    const a = x.answer;
    if (!a) return '';
    if (a.status !== 200) return 'kefu 答复 HTTP ' + a.status + '：' + a.body.trim();
    if (!a.success && !a.transfer) return 'kefu 的答复微信读不懂：' + (a.error || a.body.slice(0, 80));
    return '';
  }

  // settle marks a user action with its exchange once the host answered.
  function settle(shown, x) {
    state.exchanges.set(x.id, x);
    shown.node.dataset.exchange = x.id;
    shown.node.addEventListener('click', () => selectExchange(x.id));
    const failed = pushFailed(x);
    if (shown.status) shown.status.className = 'status' + (failed ? ' failed' : '');
    queueNote(x.seq || 0, () => {
      if (failed) {
        // What WeChat shows the user when the function does not answer "success".
        note('failure', '该小程序客服暂时无法提供服务，请稍后再试', failed);
      } else if (x.answer && x.answer.transfer) {
        note('transfer', '已转接人工客服', '模拟器里之后的消息仍推送给 kefu');
      }
    });
  }

  async function act(path, body, msg) {
    showChat();
    const shown = showUserAction(msg);
    try {
      const x = await call(path, Object.assign({ openid: state.openid, mode: state.mode, format: state.format }, body));
      settle(shown, x);
      selectExchange(x.id);
    } catch (e) {
      if (shown.status) shown.status.className = 'status failed';
      toast('发送失败：' + e.message);
    }
  }

  function enter(sessionFrom) {
    act('/sim/enter', { session_from: sessionFrom }, { type: 'event', session_from: sessionFrom });
  }

  function sendText(text) {
    act('/sim/send', { type: 'text', text }, { type: 'text', text });
  }

  function sendImage(file) {
    if (file.size > 2 * 1024 * 1024) {
      toast('图片超过 2 MB，微信的临时素材上限。');
      return;
    }
    const reader = new FileReader();
    reader.onload = () => act('/sim/send', { type: 'image', image: reader.result }, { type: 'image', image_url: reader.result });
    reader.readAsDataURL(file);
  }

  function sendCard() {
    const card = { title: '10 天学会开发一个小程序', pagepath: 'pages/article/detail?id=10' };
    act('/sim/send', { type: 'card', title: card.title, pagepath: card.pagepath }, { type: 'miniprogrampage', card });
  }

  async function loadHistory() {
    const h = await call('/sim/history?openid=' + encodeURIComponent(state.openid));
    for (const it of h.items || []) {
      if (it.kind === 'user') {
        const x = it.exchange;
        if (!x.user) continue;
        const shown = showUserAction(x.user, x.time);
        settle(shown, x);
        state.selected = x.id;
      } else {
        showEvent(it.event);
      }
    }
    state.after = Math.max(state.after, h.next || 0);
    flushNotes(true);
    if ((h.items || []).length > 0) {
      showChat();
      if (state.selected) selectExchange(state.selected);
    }
  }

  async function poll() {
    for (;;) {
      try {
        const r = await call('/sim/events?openid=' + encodeURIComponent(state.openid) + '&after=' + state.after);
        r.events.forEach(showEvent);
        state.after = Math.max(state.after, r.next);
        flushNotes();
      } catch (e) {
        await sleep(1500); // the host restarting, or gone
      }
    }
  }

  // ——— The panel ———

  const OUTCOMES = {
    replied: ['已回复', 'ok'],
    partial: ['部分失败', 'warn'],
    abandoned: ['已放弃', 'bad'],
    transferred: ['已转人工', 'ok'],
    duplicate: ['重复推送', 'warn'],
    nothing: ['无需回复', ''],
    refused: ['已拒绝', 'bad'],
    verified: ['已验证', 'ok'],
  };
  const MODES = { safe: '安全模式', compatible: '兼容模式', plaintext: '明文模式' };

  function badge(text, cls, strong) {
    const b = el('span', 'badge' + (cls ? ' ' + cls : ''));
    if (strong !== undefined) {
      b.append(document.createTextNode(text + ' '), el('b', '', strong));
    } else {
      b.textContent = text;
    }
    return b;
  }

  // code shows a payload as the host formatted it. (Never through JSON.parse: it would round a
  // MsgId, which is beyond 2^53.)
  function code(text) {
    return el('pre', 'code', text || '（空）');
  }

  function kv(pairs) {
    const dl = el('dl', 'kv');
    for (const [k, v] of pairs) {
      if (v === undefined || v === null || v === '') continue;
      dl.append(el('dt', '', k), el('dd', '', String(v)));
    }
    return dl;
  }

  function step(no, title, dir, ...children) {
    const s = el('section', 'step');
    const h = el('h3');
    h.append(el('span', 'step-no', String(no)), document.createTextNode(title));
    if (dir) h.appendChild(el('span', 'step-dir', dir));
    const body = el('div', 'step-body');
    body.append(...children);
    s.append(h, body);
    return s;
  }

  function describeAction(x) {
    const u = x.user;
    if (!u) return '来自其他地方的推送';
    switch (u.type) {
      case 'event': return '进入会话 · ' + u.session_from;
      case 'text': return '文字 “' + (u.text.length > 24 ? u.text.slice(0, 24) + '…' : u.text) + '”';
      case 'image': return '图片';
      case 'miniprogrampage': return '小程序卡片 · ' + u.card.title;
      default: return u.type;
    }
  }

  function selectExchange(id) {
    const x = state.exchanges.get(id);
    if (!x) return;
    state.selected = id;
    document.querySelectorAll('.msg.selected, .note.selected').forEach((n) => n.classList.remove('selected'));
    document.querySelectorAll('[data-exchange="' + CSS.escape(id) + '"]').forEach((n) => n.classList.add('selected'));
    renderPanel(x);
  }

  function renderPanel(x) {
    const panel = $('#panel');
    const r = x.report;
    const a = x.answer;
    const parts = [];

    const sum = el('div', 'summary');
    sum.appendChild(el('span', 'summary-what', describeAction(x)));
    if (r && r.outcome !== 'refused') {
      sum.appendChild(badge('规则', 'rule', r.rule || '（无）'));
    }
    if (r) {
      const [label, cls] = OUTCOMES[r.outcome] || [r.outcome, ''];
      sum.appendChild(badge(label, cls));
    }
    if (a) sum.appendChild(badge('HTTP', a.status === 200 ? 'ok' : 'bad', String(a.status)));
    if (r) sum.appendChild(badge('耗时', '', r.latency_ms + ' ms'));
    if (x.mode) sum.appendChild(badge((MODES[x.mode] || x.mode) + ' · ' + x.format.toUpperCase()));
    parts.push(sum);

    if (x.error) parts.push(el('p', 'muted', '推送没有得到答复：' + x.error));

    // ① The push, as WeChat sends it.
    const left = [];
    const right = [];
    if (x.push) {
      const p = x.push;
      const qs = p.query.map((q) => q.name + '=' + q.value).join('&');
      const line = el('div', 'reqline');
      line.title = p.path + (qs ? '?' + qs : '');
      line.append(el('span', 'method', p.method), document.createTextNode(line.title));
      left.push(step(1, '推送', '微信 → kefu',
        line,
        kv(p.query.map((q) => [q.name, q.value])),
        el('div', 'label', '请求体（原样）'),
        code(p.body),
        el('div', 'label', x.mode && x.mode !== 'plaintext' ? '解密后的消息' : '消息'),
        code(p.plaintext)));
    }

    // ② The rule.
    if (r) {
      const pairs = [
        ['命中规则', r.rule === 'fallback' ? 'fallback（没有规则命中时的兜底回复）' : (r.rule || '（无：没有规则处理这个事件，不回复）')],
        ['结果', (OUTCOMES[r.outcome] || [r.outcome])[0] + ' · ' + r.outcome],
        ['消息', r.msg_type + (r.event ? ' / ' + r.event : '')],
        ['回复', r.planned + ' 条计划，' + r.sent + ' 条已发送' + (r.failed ? '，' + r.failed + ' 条失败' : '')],
        ['转人工', r.transfer ? '是：应答 transfer_customer_service' : ''],
        ['errcode', r.errcode || ''],
        ['原因', r.reason],
        ['错误', r.last_error],
      ];
      if (r.outcome === 'refused') {
        pairs[0][1] = '（未匹配：推送在验证时被拒绝）';
        pairs.splice(2, 2);
      }
      right.push(step(2, '规则', '', kv(pairs)));
    }

    // ③ The WeChat API calls.
    const calls = el('div', 'calls');
    for (const c of x.calls) {
      const d = el('details', 'call');
      d.open = !/token$/.test(c.path);
      const s = el('summary');
      const ok = c.status === 200 && c.errcode === 0 && !c.error;
      s.append(el('span', 'call-path', c.path),
        badge('errcode', ok ? 'ok' : 'bad', c.error ? '—' : String(c.errcode)),
        el('span', 'call-meta', c.duration_ms + ' ms'));
      s.title = c.method + ' ' + c.path;
      const body = el('div', 'call-body');
      body.append(el('div', 'label', '请求 ' + c.method + (c.query ? '  ?' + c.query : '')), code(c.payload || ''),
        el('div', 'label', '应答' + (c.status ? '  HTTP ' + c.status : '')), code(c.error || c.response));
      d.append(s, body);
      calls.appendChild(d);
    }
    if (x.calls.length === 0) calls.appendChild(el('p', 'muted', '没有调用微信接口。'));
    if (x.dropped_calls) calls.appendChild(el('p', 'muted', '另有 ' + x.dropped_calls + ' 次调用未保留。'));
    right.push(step(3, '微信接口调用', 'kefu → 微信', calls));

    // ④ The answer.
    if (a) {
      const children = [kv([['状态', 'HTTP ' + a.status], ['Content-Type', a.content_type], ['耗时', a.duration_ms + ' ms']]),
        el('div', 'label', '应答体'), code(a.body)];
      if (a.decoded) children.push(el('div', 'label', '解密后的应答'), code(a.decoded));
      if (a.error) children.push(el('p', 'muted', '微信读不懂这个应答：' + a.error));
      if (a.success) children.push(el('p', 'muted', '“success”：微信不再等待，也不向用户显示任何东西。'));
      left.push(step(4, '应答', 'kefu → 微信', ...children));
    }
    const flow = el('div', 'flow');
    const lcol = el('div', 'flow-col');
    lcol.append(...left);
    const rcol = el('div', 'flow-col');
    rcol.append(...right);
    flow.append(lcol, rcol);
    parts.push(flow);
    panel.replaceChildren(...parts);
    panel.scrollTop = 0;
  }

  // ——— Settings and wiring ———

  function showSettings() {
    document.querySelectorAll('#mode-seg button').forEach((b) => {
      b.classList.toggle('on', b.dataset.mode === state.mode);
      b.disabled = state.config && !state.config.modes.includes(b.dataset.mode);
    });
    document.querySelectorAll('#format-seg button').forEach((b) => b.classList.toggle('on', b.dataset.format === state.format));
  }

  function showFacts() {
    const c = state.config;
    $('#fact-url').textContent = c.function_url;
    $('#fact-url').title = c.function_url;
    $('#fact-appid').textContent = c.appid;
    $('#fact-rules').textContent = c.rules;
    $('#fact-rules').title = c.rules;
    $('#fact-openid').textContent = state.openid;
    $('#fact-openid').title = state.openid;
  }

  function tickClock() {
    const d = new Date();
    $('#clock').textContent = d.getHours() + ':' + String(d.getMinutes()).padStart(2, '0');
    setTimeout(tickClock, 60000 - d.getSeconds() * 1000);
  }

  function wire() {
    document.querySelectorAll('[data-session-from]').forEach((b) => {
      b.addEventListener('click', () => enter(b.dataset.sessionFrom));
    });
    $('#back').addEventListener('click', showMiniProgram);
    $('#composer').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = $('#input');
      if (input.value.trim() === '') return;
      sendText(input.value);
      input.value = '';
      input.focus();
    });
    $('#send-image').addEventListener('click', () => $('#image-file').click());
    $('#image-file').addEventListener('change', (e) => {
      const f = e.target.files[0];
      e.target.value = '';
      if (f) sendImage(f);
    });
    $('#send-card').addEventListener('click', sendCard);
    $('#mode-seg').addEventListener('click', (e) => {
      const m = e.target.closest('button');
      if (!m || m.disabled) return;
      state.mode = m.dataset.mode;
      localStorage.setItem('kefu.mode', state.mode);
      showSettings();
    });
    $('#format-seg').addEventListener('click', (e) => {
      const f = e.target.closest('button');
      if (!f) return;
      state.format = f.dataset.format;
      localStorage.setItem('kefu.format', state.format);
      showSettings();
    });
    $('#verify').addEventListener('click', async () => {
      try {
        const v = await call('/sim/verify', {});
        toast(v.ok ? '验证通过：函数原样返回了 echostr' : '验证失败：HTTP ' + v.status + ' ' + v.body);
      } catch (e) {
        toast('验证失败：' + e.message);
      }
    });
  }

  async function main() {
    wire();
    tickClock();
    for (;;) {
      try {
        state.config = await call('/sim/config');
        break;
      } catch (e) {
        await sleep(1500);
      }
    }
    if (!state.config.modes.includes(state.mode)) state.mode = state.config.mode;
    showFacts();
    showSettings();
    await loadHistory().catch(() => {});
    document.body.dataset.ready = 'true';
    poll();
  }

  main();
})();
