// Veza's web client: the app shell, the router and the live event dispatch.

import { Api } from './api.js';
import { Live } from './socket.js';
import { h, fill, toast } from './dom.js';
import { authScreen, finishProviderSignIn } from './auth.js';
import { Sidebar } from './sidebar.js';
import { DRAFT_PREFIX, Timeline } from './timeline.js';
import { adminPage, profilePage } from './account.js';
import { Notifier } from './notify.js';
import { invitePage, openInviteDialog, resetPage, verifyBanner, verifyPage } from './team.js';
import { roomNotificationMenu } from './notify_settings.js';
import {
  app_menu, browsePage, peoplePage, searchPanel, membersPanel, pinsPanel, powers, settingsPanel,
  streamsPage, streamPage,
} from './views.js';

class App {
  constructor(root) {
    this.root = root;
    this.api = new Api();
    this.live = new Live(this.api);
    this.api.onSignedOut = () => this.showAuth('signin', 'Your session has ended. Please sign in again.');
    this.notifier = new Notifier(this);
    this.live.onStatus = (s) => this.sidebar?.setStatus(s);
    this.live.onResume = () => this.resume();
    // Views loaded before the socket was registered may lack what came between.
    this.live.onFirstReady = () => {
      for (const view of [this.timeline, this.thread]) if (view?.loaded) view.catchUp().catch(() => {});
    };
    this.wireEvents();
    document.addEventListener('click', (e) => {
      const link = e.target.closest('a[data-link]');
      if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      this.go(link.getAttribute('href'));
    });
    window.addEventListener('popstate', () => this.me && this.route());
    document.addEventListener('keydown', (e) => {
      if (!this.me || !this.sidebar) return;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        this.openSwitcher();
      } else if (e.key === 'Escape' && !e.defaultPrevented) {
        if (this.switcher?.open) this.switcher.close();
        else if (!this.panel.hidden) this.closePanel();
      }
    });
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.timeline?.markRead(); });
  }

  async boot() {
    const path = location.pathname;
    if (path.endsWith('/auth/oauth/callback')) return finishProviderSignIn(this);
    // Pages a link from an e-mail or a colleague opens, signed in or not.
    if (path.startsWith('/invite/')) return this.page(invitePage(this, decodeURIComponent(path.slice('/invite/'.length))));
    if (path === '/reset-password') return this.page(resetPage(this));
    if (path === '/verify-email') return this.page(verifyPage(this));
    if (this.api.hasSession && await this.api.refresh().catch(() => false)) {
      try { return this.signedIn(await this.api.get('users/me')); } catch { /* fall through */ }
    }
    this.showAuth('signin');
  }

  /** A page shown instead of the app (an invitation, a password link). */
  page(view) {
    this.live.stop();
    this.notifier.stop();
    this.notifier.setTitle('Veza');
    fill(this.root, view);
  }

  showAuth(mode = 'signin', message = '') {
    this.live.stop();
    this.notifier.stop();
    this.me = null;
    this.notifier.setTitle('Veza');
    fill(this.root, authScreen(this, mode, message));
    this.root.querySelector('input')?.focus();
  }

  async signedIn(user) {
    this.me = user;
    // What a message may hold, to count and refuse before sending (a
    // default until the server answers).
    this.limits = { message_max_length: 2000 };
    this.api.get('limits').then((limits) => { this.limits = limits; }).catch(() => {});
    // What this server offers (e-mail, the registration mode), for the banner
    // and the invitation dialog.
    this.api.get('auth/methods').then((methods) => {
      this.methods = methods;
      const banner = verifyBanner(this, methods);
      if (banner) this.root.querySelector('.shell')?.prepend(banner);
    }).catch(() => {});
    this.sidebar = new Sidebar(this);
    this.main = h('main', { id: 'main', 'aria-label': 'Conversation' });
    this.panelTitle = h('h2', {});
    this.panelBody = h('div', { class: 'panel-body' });
    this.panel = h('aside', { id: 'panel', hidden: true, 'aria-label': 'Details' },
      h('header', { class: 'bar' }, this.panelTitle,
        h('button', { type: 'button', class: 'close', 'aria-label': 'Close panel', onclick: () => this.closePanel() }, '✕')),
      this.panelBody);
    fill(this.root, h('div', { class: 'shell' },
      h('a', { href: '#main', class: 'skip' }, 'Skip to conversation'),
      this.sidebar.el, this.main, this.panel,
      h('div', { class: 'scrim', onclick: () => document.body.classList.remove('nav-open') })));
    try { await this.sidebar.load(); } catch (e) { toast(e.message, 'error'); }
    this.live.start();
    this.notifier.start();
    this.route();
  }

  async signOut() {
    this.live.stop();
    await this.notifier.signOut();
    // Drafts stay on this browser only while someone is signed in on it.
    for (const key of Object.keys(localStorage)) if (key.startsWith(DRAFT_PREFIX)) localStorage.removeItem(key);
    await this.api.logout();
    history.replaceState(null, '', '/');
    this.showAuth('signin');
  }

  /** Ctrl+K: type a few letters of a room or a person, Enter goes there. */
  openSwitcher() {
    this.switcher?.remove();
    const places = [
      ...[...this.sidebar.rooms.values()].map((r) => ({ label: `#${r.name}`, path: `/rooms/${r.id}` })),
      ...[...this.sidebar.conversations.values()].map((c) => ({ label: `@${c.other_user?.username ?? c.id}`, path: `/dm/${c.id}` })),
    ];
    const list = h('ul', { class: 'switch-list', role: 'listbox', 'aria-label': 'Places' });
    let shown = [];
    const input = h('input', { type: 'search', 'aria-label': 'Go to a room or person', placeholder: 'Go to…', autocomplete: 'off' });
    const show = () => {
      const q = input.value.trim().toLowerCase().replace(/^[#@]/, '');
      shown = places.filter((p) => p.label.slice(1).toLowerCase().includes(q)).slice(0, 8);
      fill(list, shown.map((p, i) => h('li', { role: 'option', 'aria-selected': i === 0 ? 'true' : 'false' },
        h('a', { href: p.path, 'data-link': '', onclick: () => this.switcher.close() }, p.label))));
    };
    input.addEventListener('input', show);
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && shown[0]) { e.preventDefault(); this.switcher.close(); this.go(shown[0].path); }
    });
    this.switcher = h('dialog', { class: 'switcher', 'aria-label': 'Switch rooms' }, input, list);
    this.switcher.addEventListener('close', () => this.switcher?.remove());
    document.body.append(this.switcher);
    show();
    this.switcher.showModal();
    input.focus();
  }

  /** The page of the room named `name` among the reader's rooms, if any. */
  roomPath(name) {
    const key = name.toLowerCase();
    for (const room of this.sidebar?.rooms?.values() ?? []) {
      if (room.name.toLowerCase() === key) return `/rooms/${room.id}`;
    }
    return null;
  }

  go(path) {
    if (path !== location.pathname) history.pushState(null, '', path);
    this.route();
  }

  route() {
    document.body.classList.remove('nav-open');
    this.onLeave?.();
    this.onLeave = null;
    this.onStreamsChanged = null;
    this.timeline?.dispose();
    this.timeline = null;
    this.current = null;
    this.closePanel();
    const parts = location.pathname.split('/').filter(Boolean);
    const id = Number(parts[1]);
    const at = Number(new URLSearchParams(location.search).get('at')) || null;
    if (parts[0] === 'rooms' && id) this.openRoom(id, at);
    else if (parts[0] === 'dm' && id) this.openDm(id, at);
    else if (parts[0] === 'browse') this.show(browsePage(this), 'Rooms');
    else if (parts[0] === 'people') this.show(peoplePage(this), 'New message');
    else if (parts[0] === 'streams' && id) this.show(streamPage(this, id), 'Stream');
    else if (parts[0] === 'streams') this.show(streamsPage(this), 'Streams');
    else if (parts[0] === 'profile') this.show(profilePage(this), 'Profile');
    else if (parts[0] === 'admin' && this.me.role === 'admin') this.show(adminPage(this), 'Server');
    else {
      const first = [...this.sidebar.rooms.values()].sort((a, b) => a.name.localeCompare(b.name))[0];
      history.replaceState(null, '', first ? `/rooms/${first.id}` : '/browse');
      return this.route();
    }
    this.sidebar.render();
  }

  show(view, title) {
    this.notifier.setTitle(`${title} · Veza`);
    fill(this.main, view);
  }

  /** The open room's name and topic, as they are now. */
  showRoomTitle(room) {
    fill(this.roomTitle, h('h1', {}, `${room.is_public ? '#' : '🔒'} ${room.name}`),
      room.description ? h('p', { class: 'topic' }, room.description) : null);
    this.notifier.setTitle(`#${room.name} · Veza`);
  }

  async openRoom(id, at = null) {
    this.current = { kind: 'room', id };
    let room = this.sidebar.rooms.get(id);
    try { room ??= await this.api.get(`rooms/${id}`); } catch (e) {
      this.show(h('section', { class: 'page' }, h('header', { class: 'bar' }, app_menu(), h('h1', {}, 'Room not found')), h('p', { class: 'page-body' }, e.message)), 'Not found');
      return;
    }
    const canModerate = ['owner', 'moderator'].includes(room.my_role) || this.me.role === 'admin';
    const timeline = new Timeline(this, { kind: 'room', id, label: `#${room.name}`, canPost: !!room.my_role, canModerate, unread: room.unread_count || 0, at });
    this.timeline = timeline;
    this.roomTitle = h('div', { class: 'title' });
    this.showRoomTitle(room);
    const header = h('header', { class: 'bar' }, app_menu(), this.roomTitle,
      h('div', { class: 'tools' },
        roomNotificationMenu(this, room),
        this.membersButton = h('button', { type: 'button', onclick: () => this.openPanel(membersPanel(this, room)) }, `Members (${room.member_count})`),
        h('button', { type: 'button', onclick: () => this.openPanel(pinsPanel(this, id)) }, 'Pinned'),
        powers(this, room).moderator
          ? h('button', { type: 'button', onclick: () => openInviteDialog(this, room.id) }, 'Invite') : null,
        powers(this, room).moderator
          ? h('button', { type: 'button', onclick: () => this.openPanel(settingsPanel(this, room)) }, 'Settings') : null,
        room.my_role && room.my_role !== 'owner'
          ? h('button', { type: 'button', onclick: () => this.leaveRoom(id) }, 'Leave') : null));
    const join = room.my_role ? null : h('div', { class: 'join-bar' }, 'You are reading this room. ',
      h('button', { type: 'button', class: 'primary', onclick: () => this.joinRoom(id) }, 'Join to post'));
    this.show(h('div', { class: 'room' }, header, timeline.el, join), `#${room.name}`);
    await timeline.load();
    if (at) await timeline.reveal(at);
    else timeline.focus();
  }

  async openDm(id, at = null) {
    this.current = { kind: 'dm', id };
    let conv = this.sidebar.conversations.get(id);
    try { conv ??= await this.api.get(`conversations/${id}`); } catch (e) {
      this.show(h('p', { class: 'page-body' }, e.message), 'Not found');
      return;
    }
    const other = conv.other_user;
    const timeline = new Timeline(this, { kind: 'dm', id, label: `@${other.username}`, canPost: !conv.is_blocked, canModerate: false, unread: conv.unread_count || 0, at });
    this.timeline = timeline;
    const header = h('header', { class: 'bar' }, app_menu(),
      h('div', { class: 'title' }, h('h1', {}, h('span', { class: `dot ${other.is_online ? 'online' : ''}`, 'aria-label': other.is_online ? 'online' : 'offline' }), ` ${other.username}`)));
    this.show(h('div', { class: 'room' }, header, timeline.el), `@${other.username}`);
    await timeline.load();
    if (at) await timeline.reveal(at);
    else timeline.focus();
  }

  async openConversation(userId) {
    try {
      const conv = await this.api.post('conversations', { user_id: userId });
      await this.sidebar.load();
      this.go(`/dm/${conv.id}`);
    } catch (e) { toast(e.message, 'error'); }
  }

  async joinRoom(id, then) {
    try {
      await this.api.post(`rooms/${id}/join`);
      await this.sidebar.load();
      this.go(then ?? `/rooms/${id}`);
    } catch (e) { toast(e.message, 'error'); }
  }

  async leaveRoom(id) {
    if (!confirm('Leave this room?')) return;
    try {
      await this.api.post(`rooms/${id}/leave`);
      this.sidebar.rooms.delete(id);
      this.go('/');
    } catch (e) { toast(e.message, 'error'); }
  }

  openThread(message, spec) {
    const thread = new Timeline(this, {
      kind: 'thread', id: message.id, parent: message, label: 'thread', canPost: spec.canPost, canModerate: spec.canModerate,
    });
    this.openPanel({ title: 'Thread', body: thread.el });
    this.thread = thread;
    thread.load().then(() => thread.focus());
  }

  openSearch(q) {
    if (q.trim()) this.openPanel(searchPanel(this, q.trim()));
  }

  openPanel({ title, body }) {
    this.thread = null;
    this.panelTitle.textContent = title;
    fill(this.panelBody, body);
    this.panel.hidden = false;
    document.body.classList.add('panel-open');
    document.body.classList.remove('nav-open');
  }

  closePanel() {
    if (!this.panel) return;
    this.thread = null;
    this.panel.hidden = true;
    this.panelBody.replaceChildren();
    document.body.classList.remove('panel-open');
  }

  /** The timelines (main and thread) showing the container a frame belongs to. */
  viewing(frame) {
    return [this.timeline, this.thread].filter((t) => t && (frame.room_id
      ? t.container.kind === 'room' && t.container.id === frame.room_id
      : t.container.kind === 'dm' && t.container.id === frame.conversation_id));
  }

  wireEvents() {
    const live = this.live;
    live.on('ready', () => this.notifier.reportVisibility());
    live.on('message.created', (f) => {
      this.sidebar.messageArrived(f);
      this.notifier.messageArrived(f);
      for (const t of this.viewing(f)) t.created(f.data);
    });
    live.on('message.updated', (f) => this.viewing(f).forEach((t) => t.updated(f.data)));
    live.on('message.deleted', (f) => this.viewing(f).forEach((t) => t.deleted(f.data.id)));
    live.on('reaction.added', (f) => this.viewing(f).forEach((t) => t.reaction(f.data, true)));
    live.on('reaction.removed', (f) => this.viewing(f).forEach((t) => t.reaction(f.data, false)));
    live.on('typing', (f) => this.viewing(f).forEach((t) => t.typingFrom(f.data)));
    live.on('presence', (f) => this.sidebar.presence(f.data));
    // The open room's member count follows joins and leaves.
    const recount = (f, step) => {
      if (this.current?.kind !== 'room' || this.current.id !== f.data.room_id || !this.membersButton) return;
      const count = Number(this.membersButton.textContent.match(/\d+/)?.[0] ?? 0) + step;
      this.membersButton.textContent = `Members (${Math.max(0, count)})`;
    };
    live.on('member.joined', (f) => { recount(f, 1); if (f.data.user_id === this.me.id) this.sidebar.load(); });
    live.on('member.left', (f) => {
      recount(f, -1);
      if (f.data.user_id !== this.me.id) return;
      this.sidebar.rooms.delete(f.data.room_id);
      this.sidebar.render();
      if (this.current?.kind === 'room' && this.current.id === f.data.room_id) toast('You are no longer a member of this room.');
    });
    live.on('room.updated', (f) => {
      this.sidebar.load();
      // Every open tab shows the new name at once (the frame carries the room).
      if (this.current?.kind === 'room' && this.current.id === f.data.room_id && this.roomTitle) {
        this.showRoomTitle({ name: f.data.name, description: f.data.description, is_public: f.data.is_public });
        this.timeline?.relabel(`#${f.data.name}`);
      }
    });
    live.on('room.deleted', (f) => {
      this.sidebar.rooms.delete(f.data.room_id);
      this.sidebar.render();
      if (this.current?.kind === 'room' && this.current.id === f.data.room_id) this.go('/');
    });
    const streamChanged = (f) => {
      if (f.type === 'stream.started' && f.data.owner?.id !== this.me.id) toast(`${f.data.owner?.username ?? 'Someone'} is live: ${f.data.title}`);
      this.onStreamsChanged?.(f.data);
    };
    live.on('stream.started', streamChanged);
    live.on('stream.ended', streamChanged);
    live.on('error', (f) => console.warn('live:', f.data));
  }

  /** After a dropped connection: unread counts and missed messages, over REST. */
  async resume() {
    try {
      await this.sidebar.load();
      await this.timeline?.catchUp();
      await this.thread?.catchUp();
    } catch (e) { toast(`Catching up failed: ${e.message}`, 'error'); }
  }
}

const app = new App(document.getElementById('root'));
window.veza = app; // for the browser tests and the curious
app.boot();
