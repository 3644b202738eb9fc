// The sidebar: the signed-in user, search, the rooms joined and the direct
// conversations with their unread badges, and the ways to find more.

import { h, fill } from './dom.js';
import { isFuture } from './notify.js';

export class Sidebar {
  constructor(app) {
    this.app = app;
    this.rooms = new Map();
    this.conversations = new Map();
    this.roomList = h('ul', { class: 'nav-list', 'aria-label': 'Rooms' });
    this.dmList = h('ul', { class: 'nav-list', 'aria-label': 'Direct messages' });
    this.status = h('span', { class: 'conn', role: 'status' }, 'connecting');
    this.search = h('input', { type: 'search', name: 'q', placeholder: 'Search messages', 'aria-label': 'Search messages', required: true });
    this.el = h('nav', { id: 'sidebar', 'aria-label': 'Rooms and conversations' },
      h('div', { class: 'me' },
        h('span', { class: 'dot online', 'aria-hidden': 'true' }),
        h('a', { href: '/profile', 'data-link': '', class: 'me-link', title: 'Your profile' },
          h('strong', { class: 'me-name' }, app.me.username)),
        this.status,
        h('button', { type: 'button', class: 'link signout', onclick: () => app.signOut() }, 'Sign out')),
      h('form', { class: 'search', role: 'search', onsubmit: (e) => { e.preventDefault(); app.openSearch(this.search.value); } },
        this.search),
      h('div', { class: 'section' },
        h('h2', {}, 'Rooms'),
        h('button', { type: 'button', class: 'add', 'aria-label': 'Browse or create rooms', title: 'Browse or create rooms', onclick: () => app.go('/browse') }, '+')),
      this.roomList,
      h('div', { class: 'section' },
        h('h2', {}, 'Direct messages'),
        h('button', { type: 'button', class: 'add', 'aria-label': 'New direct message', title: 'New direct message', onclick: () => app.go('/people') }, '+')),
      this.dmList,
      h('div', { class: 'section' },
        h('h2', {}, h('a', { href: '/streams', 'data-link': '' }, 'Live streams'))),
      app.me.role === 'admin'
        ? h('div', { class: 'section' }, h('h2', {}, h('a', { href: '/admin', 'data-link': '' }, 'Server admin'))) : null);
  }

  async load() {
    const [rooms, convs] = await Promise.all([
      this.app.api.get('rooms?filter=joined&limit=100'),
      this.app.api.get('conversations?limit=100&include_last_message=false'),
    ]);
    this.rooms = new Map(rooms.rooms.map((r) => [r.id, r]));
    this.conversations = new Map(convs.conversations.map((c) => [c.id, c]));
    this.render();
  }

  setStatus(text) {
    this.status.textContent = text;
    this.status.className = `conn ${text}`;
  }

  render() {
    const current = this.app.current;
    const rooms = [...this.rooms.values()].sort((a, b) => a.name.localeCompare(b.name));
    fill(this.roomList, rooms.length ? rooms.map((r) => this.item(
      `/rooms/${r.id}`, `${r.is_public ? '#' : '🔒'} ${r.name}`, r.unread_count,
      current?.kind === 'room' && current.id === r.id, { room: r.id }, undefined, isFuture(r.muted_until)))
      : h('li', { class: 'hint' }, 'No rooms yet'));
    const convs = [...this.conversations.values()];
    fill(this.dmList, convs.length ? convs.map((c) => this.item(
      `/dm/${c.id}`, c.other_user.username, c.unread_count,
      current?.kind === 'dm' && current.id === c.id, { conversation: c.id }, c.other_user.is_online))
      : h('li', { class: 'hint' }, 'None yet'));
    // The tab counts what asks for attention: muted rooms keep their own count only.
    const waiting = [...rooms.filter((r) => !isFuture(r.muted_until)), ...convs]
      .reduce((sum, place) => sum + (place.unread_count || 0), 0);
    this.app.notifier.setUnread(waiting);
  }

  item(href, label, unread, active, data, online, muted = false) {
    const badge = unread > 0
      ? h('span', { class: 'badge', 'aria-label': `${unread} unread` }, unread > 99 ? '99+' : String(unread))
      : null;
    return h('li', { dataset: data, class: muted ? 'muted-place' : null, title: muted ? 'Muted' : null },
      h('a', { href, 'data-link': '', class: `${active ? 'active' : ''}${unread > 0 ? ' unread' : ''}`, 'aria-current': active ? 'page' : null },
        online === undefined ? null : h('span', { class: `dot ${online ? 'online' : ''}`, 'aria-label': online ? 'online' : 'offline' }),
        h('span', { class: 'label' }, label),
        badge));
  }

  setUnread(kind, id, count) {
    const item = kind === 'room' ? this.rooms.get(id) : this.conversations.get(id);
    if (!item || item.unread_count === count) return;
    item.unread_count = count;
    this.render();
  }

  /** A new message somewhere: count it unless it is in view or mine. */
  messageArrived(frame) {
    const m = frame.data;
    if (m.author_id === this.app.me.id) return;
    const kind = frame.room_id ? 'room' : 'dm';
    const id = frame.room_id ?? frame.conversation_id;
    const cur = this.app.current;
    if (cur && cur.kind === kind && cur.id === id && !document.hidden) return;
    if (kind === 'dm' && !this.conversations.has(id)) { this.load(); return; }
    const item = kind === 'room' ? this.rooms.get(id) : this.conversations.get(id);
    if (item) { item.unread_count = (item.unread_count || 0) + 1; this.render(); }
  }

  presence(p) {
    let changed = false;
    for (const c of this.conversations.values()) {
      if (c.other_user.id === p.user_id) { c.other_user.is_online = p.is_online; changed = true; }
    }
    if (changed) this.render();
  }
}
