// A list of messages with its composer: a room, a direct conversation, or a
// thread. It loads the latest page, loads older pages as the reader scrolls up,
// applies live events, catches up after a dropped connection, and sends
// optimistically: a message shows at once as "sending…" and is replaced by the
// server's copy, matched by the client key it carries in `metadata`. The key is
// also the `Idempotency-Key`, so a retried send is never doubled.

import { h, fill, toast, day, bytes } from './dom.js';
import { renderMessage } from './message.js';
import { Completer, EMOJI } from './complete.js';

/** A message follows its neighbour above without repeating the author when
 * the same person wrote both, on the same day, within five minutes. */
const GROUP_MS = 5 * 60 * 1000;

function group(li) {
  const before = li.previousElementSibling;
  const same = before?.classList.contains('message') && !before.classList.contains('failed')
    && !li.classList.contains('pending') && !li.classList.contains('failed')
    && before.dataset.author === li.dataset.author
    && Date.parse(li.dataset.at) - Date.parse(before.dataset.at) < GROUP_MS;
  li.classList.toggle('grouped', !!same);
}

/** Where drafts are kept in `localStorage`, one key per room, conversation or thread. */
export const DRAFT_PREFIX = 'veza.draft.';

const PAGE = 50;
const TYPING_SHOWN_MS = 4000;
const TYPING_SENT_EVERY_MS = 3000;
const READ_EVERY_MS = 10000;

export class Timeline {
  /**
   * spec: {kind: 'room'|'dm'|'thread', id, label, canPost, canModerate, parent?}
   * For a thread, `parent` is the root message and sends go to its container.
   */
  constructor(app, spec) {
    this.app = app;
    this.spec = spec;
    this.messages = new Map();
    this.hasMore = false;
    // Newer messages exist beyond what is held (a window back in history).
    this.newer = false;
    this.loading = false;
    this.loaded = false;
    this.typers = new Map();
    this.lastTypingSent = 0;
    this.attachments = [];
    const root = spec.parent;
    this.container = spec.kind === 'thread'
      ? (root.room_id ? { kind: 'room', id: root.room_id } : { kind: 'dm', id: root.conversation_id })
      : { kind: spec.kind, id: spec.id };
    this.build();
  }

  get sendPath() {
    const c = this.container;
    return c.kind === 'room' ? `rooms/${c.id}/messages` : `conversations/${c.id}/messages`;
  }

  get listPath() {
    return this.spec.kind === 'thread' ? `messages/${this.spec.parent.id}/thread` : this.sendPath;
  }

  build() {
    this.list = h('ol', { class: 'messages', 'aria-label': `Messages in ${this.spec.label}` });
    this.scroller = h('div', { class: 'scroller', tabindex: '0', onscroll: () => this.onScroll() },
      h('div', { class: 'history-edge' }), this.list);
    this.typingLine = h('div', { class: 'typing', 'aria-live': 'polite' });
    this.jump = h('button', {
      type: 'button', class: 'jump', hidden: true, onclick: () => this.toLatest(),
    }, 'Jump to latest ↓');
    // Stuck to the bottom, the view stays there while the list grows late (an
    // image that loads, a font): the reader is not left above the newest.
    this.stuck = true;
    this.resizing = new ResizeObserver(() => { if (this.stuck) this.scrollToBottom(); });
    this.resizing.observe(this.list);
    this.el = h('section', { class: `timeline ${this.spec.kind}` }, this.scroller, this.jump, this.typingLine);
    // One tab stop for the messages: the current one (arrows move it).
    this.list.addEventListener('focusin', (e) => {
      const li = e.target.closest?.('li.message');
      if (li && !li.classList.contains('current')) this.rove(li);
    });
    this.list.addEventListener('keydown', (e) => {
      if (!e.target.matches?.('li.message') || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
      const step = e.key === 'ArrowUp' ? 'previousElementSibling' : 'nextElementSibling';
      let next = e.target[step];
      while (next && !next.matches('li.message')) next = next[step];
      if (next) { e.preventDefault(); this.rove(next); next.focus(); }
    });
    if (this.spec.canPost) this.el.append(this.composer());
    this.el.addEventListener('dragover', (e) => { if (this.spec.canPost) { e.preventDefault(); this.el.classList.add('dropping'); } });
    this.el.addEventListener('dragleave', () => this.el.classList.remove('dropping'));
    this.el.addEventListener('drop', (e) => {
      this.el.classList.remove('dropping');
      if (!this.spec.canPost || !e.dataTransfer?.files?.length) return;
      e.preventDefault();
      for (const file of e.dataTransfer.files) this.attach(file);
    });
  }

  composer() {
    const id = `composer-${this.spec.kind}-${this.spec.id}`;
    this.draftKey = `${DRAFT_PREFIX}${this.spec.kind}.${this.spec.id}`;
    // No maxlength: a pasted text over the limit is kept whole, counted, and
    // refused before sending, never cut.
    this.input = h('textarea', {
      id, rows: '1', placeholder: `Message ${this.spec.label}`,
      'aria-label': `Message ${this.spec.label}`, 'aria-describedby': `${id}-count`,
      onkeydown: (e) => {
        if (this.completer.key(e)) return;
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.submit();
        } else if (e.key === 'ArrowUp' && !this.input.value) {
          // Up in an empty composer edits one's last message here.
          const mine = [...this.messages.values()].filter((m) => m.author_id === this.app.me.id);
          const last = mine.sort((a, b) => b.id - a.id)[0];
          if (last) { e.preventDefault(); this.edit(last); }
        }
      },
      oninput: () => { this.autosize(); this.typing(); this.counted(); this.keepDraft(); },
    });
    this.counter = h('span', { id: `${id}-count`, class: 'counter', 'aria-live': 'polite' });
    this.completer = new Completer(this.input, {
      people: async (q) => (await this.app.api.get(`users/search?q=${encodeURIComponent(q)}&limit=8`)).users.map((u) => u.username),
      rooms: (q) => [...this.app.sidebar.rooms.values()].map((r) => r.name).filter((n) => n.toLowerCase().includes(q)).sort(),
    });
    this.input.value = localStorage.getItem(this.draftKey) ?? '';
    this.counted();
    this.picker = h('input', {
      type: 'file', multiple: true, class: 'visually-hidden', id: `${id}-file`, tabindex: '-1', 'aria-hidden': 'true',
      onchange: () => { for (const f of this.picker.files) this.attach(f); this.picker.value = ''; },
    });
    this.chips = h('div', { class: 'chips' });
    return h('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      this.completer.list,
      this.chips,
      h('div', { class: 'row' },
        h('label', {
          class: 'attach', for: `${id}-file`, title: 'Attach files', 'aria-label': 'Attach files', role: 'button', tabindex: '0',
          onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.picker.click(); } },
        }, '📎'),
        this.picker,
        this.tools(),
        this.input,
        h('button', { type: 'submit', class: 'send' }, 'Send')),
      this.counter);
  }

  /** The length against the server's limit, shown near it and over it. */
  counted() {
    const limit = this.app.limits?.message_max_length ?? 2000;
    const length = [...this.input.value.trim()].length;
    const over = length > limit;
    this.counter.textContent = length > limit * 0.9 ? `${length.toLocaleString()} / ${limit.toLocaleString()}` : '';
    this.counter.classList.toggle('over', over);
    return { length, limit, over };
  }

  /** Keeps the text being written across room switches and reloads. */
  keepDraft() {
    clearTimeout(this.draftTimer);
    this.draftTimer = setTimeout(() => {
      const text = this.input.value;
      if (text.trim()) localStorage.setItem(this.draftKey, text);
      else localStorage.removeItem(this.draftKey);
    }, 300);
  }

  /** Helpers beside the text: an emoji palette, and a code block around the
   * selection (or an empty one at the caret). */
  tools() {
    const emojis = [...new Set(Object.values(EMOJI))];
    const palette = h('div', {
      class: 'emoji-palette', role: 'dialog', 'aria-label': 'Emoji', hidden: true,
      onkeydown: (e) => { if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); palette.hidden = true; this.input.focus(); } },
    }, emojis.map((emoji) => h('button', {
      type: 'button', class: 'emoji', 'aria-label': `Insert ${emoji}`,
      onclick: () => { this.insert(emoji); palette.hidden = true; },
    }, emoji)));
    const open = h('button', {
      type: 'button', class: 'tool', 'aria-label': 'Insert an emoji', title: 'Emoji', 'aria-expanded': 'false',
      onclick: () => {
        palette.hidden = !palette.hidden;
        open.setAttribute('aria-expanded', String(!palette.hidden));
        if (!palette.hidden) palette.querySelector('button')?.focus();
      },
    }, '😊');
    const code = h('button', {
      type: 'button', class: 'tool', 'aria-label': 'Code block', title: 'Code block',
      onclick: () => {
        const { selectionStart: from, selectionEnd: to, value } = this.input;
        const inner = value.slice(from, to);
        const before = from > 0 && !value.slice(0, from).endsWith('\n') ? '\n' : '';
        this.insert(`${before}\`\`\`\n${inner}\n\`\`\`\n`, inner ? 0 : 5);
      },
    }, '</>');
    return h('span', { class: 'tools' }, open, code, palette);
  }

  /** Puts `text` at the caret (over the selection); the caret ends `back`
   * characters before its end. */
  insert(text, back = 0) {
    const { selectionStart: from, selectionEnd: to, value } = this.input;
    this.input.value = value.slice(0, from) + text + value.slice(to);
    const caret = from + text.length - back;
    this.input.focus();
    this.input.setSelectionRange(caret, caret);
    this.input.dispatchEvent(new Event('input'));
  }

  /** The conversation's name changed (a room renamed): the composer says so. */
  relabel(label) {
    this.spec.label = label;
    if (!this.input) return;
    this.input.placeholder = `Message ${label}`;
    this.input.setAttribute('aria-label', `Message ${label}`);
  }

  autosize() {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  focus() { this.input?.focus(); }

  // ---- loading ----

  async load() {
    this.loading = true;
    const started = performance.now();
    try {
      const data = await this.app.api.get(`${this.listPath}?limit=${PAGE}`);
      const page = this.spec.kind === 'thread' ? data.messages : data.messages.slice().reverse();
      if (this.spec.kind === 'thread') page.unshift(this.spec.parent);
      this.hasMore = this.spec.kind === 'thread' ? false : data.has_more;
      for (const m of page) this.messages.set(m.id, m);
      // The first unread message, to draw "New messages" above it (others'
      // messages only: one's own are never unread).
      const unread = this.spec.unread || 0;
      if (unread > 0 && this.spec.kind !== 'thread') {
        const theirs = page.filter((m) => m.author_id !== this.app.me.id);
        this.unreadFrom = theirs[Math.max(0, theirs.length - unread)]?.id ?? null;
      }
      this.loaded = true;
      this.renderAll();
      this.scrollToBottom();
      this.markRead();
      // The socket was registered while this page was being read: a message
      // sent in between reached neither. (Registered later: its first `ready`
      // catches up; earlier: nothing was missed.)
      const readyAt = this.app.live.readyAt;
      if (readyAt !== null && readyAt > started && this.spec.kind !== 'thread') await this.catchUp();
    } catch (e) {
      fill(this.list, h('li', { class: 'empty' }, `Could not load messages: ${e.message}`));
    } finally {
      this.loading = false;
    }
    // A short first page may not fill the screen: keep going until it scrolls.
    if (this.hasMore && this.scroller.scrollHeight <= this.scroller.clientHeight) this.older();
  }

  /**
   * Brings message `id` into view and marks it (a search hit): a few older
   * pages load while it is near; further back, the view opens on a window
   * around it (the messages before and after it), newer pages loading as the
   * reader scrolls down, Jump to latest going back to the newest.
   */
  async reveal(id) {
    for (let pages = 0; !this.messages.has(id) && this.hasMore && pages < 4; pages += 1) {
      await this.older();
    }
    if (!this.messages.has(id)) await this.openAround(id);
    const li = this.list.querySelector(`li.message[data-id="${id}"]`);
    if (!li) { toast('That message is no longer there.'); return; }
    this.stuck = false; // the reader is here, not at the bottom
    li.classList.add('found');
    li.scrollIntoView({ block: 'center' });
    li.focus();
  }

  /** The window around message `id`: what came just before and after it. */
  async openAround(id) {
    this.loading = true;
    try {
      const [upTo, after] = await Promise.all([
        this.app.api.get(`${this.listPath}?limit=${PAGE}&before_id=${id + 1}`),
        this.app.api.get(`${this.listPath}?limit=${PAGE}&after_id=${id}`),
      ]);
      this.messages.clear();
      for (const m of [...upTo.messages, ...after.messages]) this.messages.set(m.id, m);
      this.hasMore = upTo.has_more;
      this.newer = after.has_more;
      this.unreadFrom = null;
      this.renderAll();
      this.jump.hidden = !this.newer;
    } catch (e) {
      toast(`Could not open that message: ${e.message}`, 'error');
    } finally {
      this.loading = false;
    }
  }

  /** In a window back in history: the next newer page, until the newest. */
  async newerPage() {
    if (this.loading || !this.newer) return;
    this.loading = true;
    try {
      const after = Math.max(0, ...this.messages.keys());
      const data = await this.app.api.get(`${this.listPath}?limit=${PAGE}&after_id=${after}`);
      for (const m of data.messages) this.messages.set(m.id, m);
      this.newer = data.has_more;
      this.renderAll();
    } catch (e) {
      toast(`Could not load newer messages: ${e.message}`, 'error');
    } finally {
      this.loading = false;
    }
  }

  /** Jump to latest: to the bottom, or (in a window back in history) to the newest page. */
  async toLatest() {
    if (this.newer) {
      this.messages.clear();
      this.newer = false;
      this.stuck = true;
      await this.load();
    } else {
      this.scrollToBottom();
    }
    this.focus();
  }

  async older() {
    if (this.loading || !this.hasMore || this.spec.kind === 'thread') return;
    const oldest = Math.min(...[...this.messages.keys()]);
    this.loading = true;
    const before = this.scroller.scrollHeight;
    try {
      const data = await this.app.api.get(`${this.listPath}?limit=${PAGE}&before_id=${oldest}`);
      this.hasMore = data.has_more;
      for (const m of data.messages) this.messages.set(m.id, m);
      this.renderAll();
      this.scroller.scrollTop += this.scroller.scrollHeight - before;
    } catch (e) {
      toast(`Could not load older messages: ${e.message}`, 'error');
    } finally {
      this.loading = false;
    }
  }

  /** After a reconnect: everything after the newest message held. */
  async catchUp() {
    if (this.spec.kind === 'thread') return this.reloadThread();
    // A window back in history has nothing to add at its end: newer pages
    // load as the reader scrolls down.
    if (this.newer) return undefined;
    let after = Math.max(0, ...[...this.messages.keys()]);
    for (let rounds = 0; rounds < 20; rounds++) {
      const data = await this.app.api.get(`${this.listPath}?limit=100&after_id=${after}`);
      for (const m of data.messages) { this.messages.set(m.id, m); after = Math.max(after, m.id); }
      if (!data.has_more) break;
    }
    this.renderAll();
    this.markRead();
  }

  async reloadThread() {
    this.messages.clear();
    await this.load();
  }

  onScroll() {
    if (this.scroller.scrollTop < 200) this.older();
    if (this.newer && this.atBottom()) this.newerPage();
    this.stuck = this.atBottom() && !this.newer;
    // Up by more than a screen: offer the way back.
    const s = this.scroller;
    this.jump.hidden = !this.newer && s.scrollHeight - s.scrollTop - s.clientHeight < s.clientHeight;
    if (this.stuck) this.markRead();
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.stuck = true;
    this.jump.hidden = true;
  }

  /**
   * Moves the read marker to the newest message: soon after opening, then at
   * most every 10 s, so that a busy room does not spend the hourly request
   * allowance on read markers.
   */
  markRead() {
    // A window back in history is not what was read last.
    if (this.spec.kind === 'thread' || this.newer || document.hidden || this.readTimer) return;
    const wait = Math.max(600, READ_EVERY_MS - (Date.now() - (this.readSentAt || 0)));
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      const newest = Math.max(0, ...[...this.messages.keys()]);
      if (!newest || newest === this.readUpTo) return;
      this.readUpTo = newest;
      this.readSentAt = Date.now();
      const path = this.spec.kind === 'room' ? `rooms/${this.spec.id}/read` : `conversations/${this.spec.id}/read`;
      this.app.api.post(path, { message_id: newest }).catch(() => {});
      this.app.sidebar.setUnread(this.spec.kind, this.spec.id, 0);
    }, wait);
  }

  /** The timeline leaves the screen: a pending read marker would be wrong now. */
  dispose() {
    this.resizing.disconnect();
    clearTimeout(this.readTimer);
    this.readTimer = null;
  }

  // ---- rendering ----

  context() {
    return {
      api: this.app.api,
      me: this.app.me,
      canModerate: this.spec.canModerate,
      roomPath: (name) => this.app.roomPath(name),
      inThread: this.spec.kind === 'thread',
      onThread: (m) => this.app.openThread(m, this.spec),
      onEdit: (m) => this.edit(m),
      onDelete: (m) => this.remove(m),
      onPin: (m) => this.pin(m),
      onReact: (m, emoji, mine) => this.react(m, emoji, mine),
      onRetry: (m) => this.send(m),
      onDiscard: (m) => this.unsend(m),
    };
  }

  renderAll() {
    const ctx = this.context();
    const items = [...this.messages.values()].sort((a, b) => a.id - b.id);
    const nodes = [];
    let lastDay = null;
    for (const m of items) {
      const d = day(m.created_at);
      if (d !== lastDay) { nodes.push(h('li', { class: 'day', role: 'separator' }, d)); lastDay = d; }
      if (m.id === this.unreadFrom) nodes.push(h('li', { class: 'unread-divider', role: 'separator' }, 'New messages'));
      nodes.push(renderMessage(ctx, m));
    }
    for (const m of this.pendingList()) nodes.push(renderMessage(ctx, m));
    if (!nodes.length) nodes.push(h('li', { class: 'empty' }, 'No messages yet. Say hello!'));
    if (this.hasMore) nodes.unshift(h('li', { class: 'more' }, 'Scroll up for older messages'));
    if (this.newer) nodes.push(h('li', { class: 'more' }, 'Scroll down for newer messages'));
    fill(this.list, nodes);
    for (const li of this.list.querySelectorAll('li.message')) group(li);
    this.rove();
  }

  /**
   * Makes `target` (by default the message holding focus, else the newest) the
   * list's one tab stop, with its controls; every other message and control is
   * out of the tab order, reached with the arrow keys. `fresh` are messages just
   * rendered (tabbable as built): only they and the stop that moves are touched;
   * without it, every message is.
   */
  rove(target, fresh = null) {
    const messages = this.list.querySelectorAll('li.message');
    const focused = document.activeElement?.closest?.('li.message');
    const current = target ?? (focused && this.list.contains(focused) ? focused : messages[messages.length - 1]);
    const previous = this.list.querySelector('li.message.current');
    const touched = fresh ? new Set([...fresh, previous, current]) : messages;
    for (const li of touched) {
      if (!li) continue;
      const on = li === current;
      li.classList.toggle('current', on);
      li.tabIndex = on ? 0 : -1;
      for (const el of li.querySelectorAll('button, a[href], audio, video')) {
        if (on) el.removeAttribute('tabindex');
        else el.tabIndex = -1;
      }
    }
  }

  /** Adds `m`, newer than every message shown (`previous` is the newest before it). */
  appendNewest(m, previous) {
    if (day(previous.created_at) !== day(m.created_at)) {
      this.list.append(h('li', { class: 'day', role: 'separator' }, day(m.created_at)));
    }
    const li = renderMessage(this.context(), m);
    this.list.append(li);
    group(li);
    this.rove(undefined, [li]);
  }

  pendingList() { return this.pending ? [...this.pending.values()] : []; }

  rerender(m) {
    const old = this.list.querySelector(`li.message[data-id="${m.id}"]`);
    if (!old) return;
    const li = renderMessage(this.context(), m);
    const wasCurrent = old.classList.contains('current');
    old.replaceWith(li);
    group(li);
    this.rove(wasCurrent ? li : undefined, [li]);
  }

  // ---- live events ----

  /** A message.created in this timeline's container. */
  created(m) {
    const belongs = this.spec.kind === 'thread'
      ? m.parent_message_id === this.spec.parent.id
      : !m.parent_message_id;
    if (!belongs) {
      // A reply: its parent's reply count grows.
      const parent = this.messages.get(m.parent_message_id);
      if (parent && this.spec.kind !== 'thread') { parent.thread_count += 1; this.rerender(parent); }
      return;
    }
    // Reading a window back in history: the newest is further down, not here
    // (one's own message sent from here brings the newest back).
    if (this.newer) {
      if (m.author_id === this.app.me.id) this.toLatest();
      this.jump.hidden = false;
      return;
    }
    const stick = this.atBottom();
    const key = m.metadata?.client_key;
    const wasPending = !!key && !!this.pending?.delete(key);
    const known = this.messages.has(m.id);
    const newest = Math.max(0, ...this.messages.keys());
    this.messages.set(m.id, m);
    if (known && !wasPending) {
      this.rerender(m); // the answer and the live event both bring it
    } else if (!wasPending && !this.pending?.size && m.id > newest && this.list.lastElementChild?.classList.contains('message')) {
      this.appendNewest(m, this.messages.get(newest)); // the usual case: no full redraw
    } else {
      this.renderAll();
    }
    if (stick || m.author_id === this.app.me.id) this.scrollToBottom();
    this.markRead();
    if (m.author_id !== this.app.me.id && this.typers.delete(m.author_id)) this.showTypers();
  }

  updated(m) {
    if (!this.messages.has(m.id)) return;
    const mine = this.messages.get(m.id);
    this.messages.set(m.id, { ...mine, ...m });
    this.rerender(this.messages.get(m.id));
  }

  deleted(id) {
    if (this.spec.kind === 'thread' && id === this.spec.parent.id) {
      this.app.closePanel();
      return;
    }
    if (this.messages.delete(id)) this.renderAll();
  }

  reaction(data, added) {
    const m = this.messages.get(data.message_id);
    if (!m) return;
    applyReaction(m, data.emoji, { user_id: data.user_id, username: data.username }, added);
    this.rerender(m);
  }

  typingFrom(user) {
    if (user.user_id === this.app.me.id) return;
    clearTimeout(this.typers.get(user.user_id)?.timer);
    const timer = setTimeout(() => { this.typers.delete(user.user_id); this.showTypers(); }, TYPING_SHOWN_MS);
    this.typers.set(user.user_id, { name: user.username, timer });
    this.showTypers();
  }

  showTypers() {
    const names = [...this.typers.values()].map((t) => t.name);
    this.typingLine.textContent = !names.length ? ''
      : names.length === 1 ? `${names[0]} is typing…`
      : `${names.slice(0, 3).join(', ')} are typing…`;
  }

  typing() {
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_SENT_EVERY_MS || !this.input.value.trim()) return;
    this.lastTypingSent = now;
    const c = this.container;
    this.app.live.send(c.kind === 'room' ? { type: 'typing', room_id: c.id } : { type: 'typing', conversation_id: c.id });
  }

  // ---- actions ----

  async attach(file) {
    const limit = this.app.limits?.upload_max_bytes;
    if (limit && file.size > limit) {
      toast(`${file.name} is ${bytes(file.size)}; files may be up to ${bytes(limit)}.`, 'error');
      return;
    }
    const cancel = new AbortController();
    const bar = h('progress', { max: '100', value: '0', 'aria-label': `Uploading ${file.name}` });
    const chip = h('span', { class: 'chip uploading' }, `⏫ ${file.name} `, bar, ' ',
      h('button', { type: 'button', class: 'link', 'aria-label': `Cancel ${file.name}`, onclick: () => cancel.abort() }, 'Cancel'));
    this.chips.append(chip);
    const c = this.container;
    try {
      const uploaded = await this.app.api.upload(file, c.kind === 'room' ? { room_id: c.id } : { conversation_id: c.id }, {
        signal: cancel.signal,
        onProgress: (sent, total) => { bar.value = Math.round((100 * sent) / total); },
      });
      this.attachments.push(uploaded);
      fill(chip, `📎 ${file.name} `, h('button', {
        type: 'button', class: 'link', 'aria-label': `Remove ${file.name}`,
        onclick: () => { this.attachments = this.attachments.filter((f) => f !== uploaded); chip.remove(); },
      }, '✕'));
      chip.classList.remove('uploading');
    } catch (e) {
      chip.remove();
      if (e.code !== 'CANCELLED') toast(`${file.name}: ${e.message}`, 'error');
    }
  }

  submit() {
    const text = this.input.value.trim();
    if (!text && !this.attachments.length) return;
    const { length, limit, over } = this.counted();
    if (over) {
      toast(`This message is ${length.toLocaleString()} characters long; the limit is ${limit.toLocaleString()}. Shorten it to send.`, 'error');
      this.input.focus();
      return;
    }
    if (this.chips.querySelector('.uploading')) { toast('Wait for the upload to finish.'); return; }
    const files = this.attachments;
    const key = crypto.randomUUID();
    const m = {
      _key: key,
      _state: 'pending',
      id: null,
      author_id: this.app.me.id,
      username: this.app.me.username,
      content: text || files.map((f) => f.original_filename).join(', '),
      created_at: new Date().toISOString(),
      attachments: files,
      reactions: {},
      thread_count: 0,
    };
    this.input.value = '';
    clearTimeout(this.draftTimer);
    localStorage.removeItem(this.draftKey);
    this.counted();
    this.autosize();
    this.attachments = [];
    this.chips.replaceChildren();
    this.send(m);
  }

  async send(m) {
    // Sent from a window back in history: the conversation goes on at its newest.
    if (this.newer) await this.toLatest();
    this.pending ??= new Map();
    m._state = 'pending';
    this.pending.set(m._key, m);
    this.renderAll();
    this.scrollToBottom();
    const body = { content: m.content, metadata: { client_key: m._key }, attachments: m.attachments.map((f) => f.id) };
    if (this.spec.kind === 'thread') body.parent_message_id = this.spec.parent.id;
    try {
      const saved = await this.app.api.post(this.sendPath, body, { headers: { 'Idempotency-Key': m._key } });
      if (this.pending.has(m._key) || !this.messages.has(saved.id)) this.created(saved);
      if (this.pending.delete(m._key)) this.renderAll(); // the answer lacked its client key
    } catch (e) {
      // The live event may already have brought the server's copy: then it was sent.
      if (!this.pending.has(m._key)) return;
      if (e.code === 'MESSAGE_TOO_LONG' && e.details?.max_length && this.app.limits) {
        this.app.limits.message_max_length = e.details.max_length; // the server's own limit
      }
      if (e.status >= 400 && e.status < 500 && ![401, 408, 429].includes(e.status)) {
        // A refusal that no retry can change: the text goes back to the composer.
        this.unsend(m);
        toast(`Message not sent: ${e.message}`, 'error');
        return;
      }
      m._state = 'failed';
      this.renderAll();
      toast(`Message not sent: ${e.message}`, 'error');
    }
  }

  /** Takes a message that was not sent off the list and puts its text back in
   * the composer (when it is empty), to edit or discard. */
  unsend(m) {
    this.pending?.delete(m._key);
    this.renderAll();
    if (!this.input.value.trim()) {
      this.input.value = m.content;
      this.autosize();
      this.counted();
      this.keepDraft();
    }
    this.input.focus();
  }

  edit(m) {
    const li = this.list.querySelector(`li.message[data-id="${m.id}"]`);
    const content = li?.querySelector('.content');
    if (!content) return;
    const box = h('textarea', { class: 'edit', 'aria-label': 'Edit message', rows: '2' });
    box.value = m.content;
    const save = async () => {
      const text = box.value.trim();
      if (!text || text === m.content) { this.rerender(m); return; }
      try {
        this.updated(await this.app.api.put(`messages/${m.id}`, { content: text }));
      } catch (e) { toast(`Not saved: ${e.message}`, 'error'); }
    };
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); save(); }
      if (e.key === 'Escape') { e.preventDefault(); this.rerender(m); }
    });
    content.replaceWith(h('div', { class: 'editing' }, box,
      h('div', { class: 'hint' }, 'Enter to save, Escape to cancel')));
    box.focus();
  }

  async remove(m) {
    if (!confirm('Delete this message?')) return;
    try {
      await this.app.api.del(`messages/${m.id}`);
      this.deleted(m.id);
    } catch (e) { toast(`Not deleted: ${e.message}`, 'error'); }
  }

  async pin(m) {
    try {
      this.updated(await this.app.api.post(`messages/${m.id}/pin`, { pinned: !m.is_pinned }));
    } catch (e) { toast(`Not changed: ${e.message}`, 'error'); }
  }

  async react(m, emoji, mine) {
    const me = { user_id: this.app.me.id, username: this.app.me.username };
    try {
      if (mine) await this.app.api.del(`messages/${m.id}/reactions/${encodeURIComponent(emoji)}`);
      else await this.app.api.post(`messages/${m.id}/reactions`, { emoji });
      applyReaction(m, emoji, me, !mine);
      this.rerender(m);
    } catch (e) { toast(`Reaction failed: ${e.message}`, 'error'); }
  }
}

/** Adds or removes one user's reaction; applying the same change twice is harmless. */
function applyReaction(m, emoji, user, added) {
  m.reactions ??= {};
  const entry = m.reactions[emoji] ?? { count: 0, users: [] };
  const has = entry.users.some((u) => u.user_id === user.user_id);
  if (added && !has) { entry.users.push(user); entry.count += 1; }
  if (!added && has) { entry.users = entry.users.filter((u) => u.user_id !== user.user_id); entry.count -= 1; }
  if (entry.count > 0) m.reactions[emoji] = entry; else delete m.reactions[emoji];
}
