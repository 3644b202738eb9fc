// Pages and panels besides the timeline: find and create rooms, start a direct
// conversation, search results, members, pinned messages, live streams.

import { h, fill, toast, highlighted, clock } from './dom.js';
import { attachment } from './message.js';
import { Timeline } from './timeline.js';
import { showAvatar } from './team.js';
import { hooksSection } from './integrations.js';
import { renderMarkdown } from './markdown.js';

export function page(title, ...body) {
  return h('section', { class: 'page' }, h('header', { class: 'bar' }, app_menu(), h('h1', {}, title)), h('div', { class: 'page-body' }, body));
}

/** The phone-sized screen's way back to the sidebar. */
export function app_menu() {
  return h('button', {
    type: 'button', class: 'menu', 'aria-label': 'Show rooms and conversations',
    onclick: () => document.body.classList.toggle('nav-open'),
  }, '☰');
}

export function browsePage(app) {
  const results = h('ul', { class: 'cards', 'aria-label': 'Public rooms' });
  const query = h('input', { type: 'search', id: 'browse-q', placeholder: 'Room name', 'aria-label': 'Find rooms' });
  const find = async () => {
    const q = query.value.trim();
    const data = await app.api.get(`rooms?filter=public&limit=50${q ? `&search=${encodeURIComponent(q)}` : ''}`);
    fill(results, data.rooms.length ? data.rooms.map((r) => h('li', { class: 'card' },
      h('div', {}, h('strong', {}, `# ${r.name}`), h('p', { class: 'muted' }, r.description || ''),
        h('span', { class: 'muted' }, `${r.member_count} member${r.member_count === 1 ? '' : 's'}`)),
      r.my_role
        ? h('a', { class: 'button', href: `/rooms/${r.id}`, 'data-link': '' }, 'Open')
        : h('button', { type: 'button', class: 'primary', onclick: () => app.joinRoom(r.id) }, 'Join'))) : h('li', { class: 'hint' }, 'No rooms found'));
  };
  const name = h('input', { id: 'new-room-name', name: 'name', required: true, maxlength: '100', placeholder: 'e.g. general' });
  const description = h('input', { id: 'new-room-description', name: 'description', maxlength: '500' });
  const isPrivate = h('input', { id: 'new-room-private', type: 'checkbox', name: 'private' });
  const create = h('form', { class: 'stack', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const room = await app.api.post('rooms', { name: name.value.trim(), description: description.value.trim() || null, is_private: isPrivate.checked });
      await app.sidebar.load();
      app.go(`/rooms/${room.id}`);
    } catch (err) { toast(err.message, 'error'); }
  } },
  h('h2', {}, 'Create a room'),
  h('label', { for: 'new-room-name' }, 'Name'), name,
  h('label', { for: 'new-room-description' }, 'Description (optional)'), description,
  h('label', { class: 'check' }, isPrivate, ' Private (only invited members can see it)'),
  h('button', { type: 'submit', class: 'primary' }, 'Create room'));
  find().catch((e) => toast(e.message, 'error'));
  query.addEventListener('input', () => { clearTimeout(query.timer); query.timer = setTimeout(() => find().catch(() => {}), 250); });
  return page('Rooms', h('div', { class: 'stack' }, h('label', { for: 'browse-q' }, 'Find a public room'), query), results, create);
}

export function peoplePage(app) {
  const results = h('ul', { class: 'cards', 'aria-label': 'People' });
  const query = h('input', { type: 'search', id: 'people-q', placeholder: 'Username', 'aria-label': 'Find people', autofocus: true });
  const find = async () => {
    const q = query.value.trim();
    if (!q) { fill(results); return; }
    const data = await app.api.get(`users/search?q=${encodeURIComponent(q)}&limit=20`);
    const others = data.users.filter((u) => u.id !== app.me.id);
    fill(results, others.length ? others.map((u) => h('li', { class: 'card' },
      h('div', {}, h('span', { class: `dot ${u.is_online ? 'online' : ''}`, 'aria-label': u.is_online ? 'online' : 'offline' }), ' ',
        h('strong', {}, u.username), u.status_message ? h('p', { class: 'muted' }, u.status_message) : null),
      h('button', { type: 'button', class: 'primary', onclick: () => app.openConversation(u.id) }, 'Message'))) : h('li', { class: 'hint' }, 'Nobody found'));
  };
  query.addEventListener('input', () => { clearTimeout(query.timer); query.timer = setTimeout(() => find().catch(() => {}), 250); });
  return page('New direct message', h('div', { class: 'stack' }, h('label', { for: 'people-q' }, 'Find someone'), query), results);
}

export function searchPanel(app, q) {
  const list = h('ol', { class: 'results', 'aria-label': `Results for ${q}` }, h('li', { class: 'hint' }, 'Searching…'));
  app.api.get(`search?q=${encodeURIComponent(q)}&limit=30`).then((data) => {
    fill(list, data.messages.length ? data.messages.map((m) => h('li', {},
      // Opens the room at the message (a reply: at its thread's first message).
      h('a', { href: `${m.room_id ? `/rooms/${m.room_id}` : `/dm/${m.conversation_id}`}?at=${m.parent_message_id || m.id}`, 'data-link': '' },
        h('div', { class: 'meta' }, h('span', { class: 'author' }, m.username), ' ', clock(m.created_at),
          ' · ', m.room_id ? `#${app.sidebar.rooms.get(m.room_id)?.name ?? m.room_id}` : 'direct message'),
        h('div', { class: 'content' }, markedMarkdown(m))))) : h('li', { class: 'hint' }, 'No messages match'));
  }).catch((e) => fill(list, h('li', { class: 'error' }, e.message)));
  return { title: `Search: ${q}`, body: list };
}

/** A hit's text as the timeline shows it (Markdown), with the words the
 * server marked in its highlight marked again; the plain highlight when the
 * message is long (the server's excerpt is what matters then). */
function markedMarkdown(m) {
  if (!m.content || m.content.length > 600) return highlighted(m.highlight);
  const words = new Set();
  for (const part of String(m.highlight).matchAll(/<mark>(.*?)<\/mark>/g)) {
    const word = highlighted(part[1]).join('').trim().toLowerCase();
    if (word) words.add(word);
  }
  const body = h('div', {}, renderMarkdown(m.content, {}));
  if (!words.size) return [...body.childNodes];
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) texts.push(walker.currentNode);
  const pattern = new RegExp(`(${[...words].map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'gi');
  for (const node of texts) {
    const parts = node.nodeValue.split(pattern);
    if (parts.length === 1) continue;
    node.replaceWith(...parts.map((p, i) => (i % 2 ? h('mark', {}, p) : document.createTextNode(p))));
  }
  return [...body.childNodes];
}

/** What the reader may do in a room, as the server's rules say (API.md §4):
 * the controls a user may not use are not shown. */
export function powers(app, room) {
  const admin = app.me.role === 'admin';
  const owner = room.my_role === 'owner' || admin;
  const moderator = owner || room.my_role === 'moderator';
  return { owner, moderator };
}

export function membersPanel(app, room) {
  const { owner, moderator } = powers(app, room);
  const list = h('ul', { class: 'members', 'aria-label': 'Members' });
  const load = () => app.api.get(`rooms/${room.id}/members?limit=100`).then((data) => {
    fill(list, data.members.map((m) => memberRow(app, room, m, { owner, moderator }, load)));
  }).catch((e) => fill(list, h('li', { class: 'error' }, e.message)));
  load();
  const error = h('p', { class: 'error', role: 'alert' });
  const name = h('input', { name: 'username', 'aria-label': 'Username to add', placeholder: 'username', autocomplete: 'off' });
  const add = moderator ? h('form', {
    class: 'add-member',
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      try {
        await app.api.post(`rooms/${room.id}/members`, { username: name.value.trim() });
        name.value = '';
        load();
      } catch (err) { error.textContent = err.message; }
    },
  }, h('label', {}, 'Add someone', name), h('button', { type: 'submit', class: 'primary' }, 'Add'), error) : null;
  return { title: 'Members', body: h('div', {}, add, list) };
}

function memberRow(app, room, m, { owner, moderator }, reload) {
  const self = m.user_id === app.me.id;
  const act = (promise) => promise.then(reload).catch((e) => toast(e.message, 'error'));
  const controls = [];
  if (owner && !self && m.role !== 'owner') {
    controls.push(h('select', {
      'aria-label': `Role of ${m.username}`,
      onchange: (e) => act(app.api.put(`rooms/${room.id}/members/${m.user_id}`, { role: e.target.value })),
    }, ['member', 'moderator', 'owner'].map((role) => h('option', { value: role, selected: role === m.role }, role))));
  }
  const removable = !self && m.role !== 'owner' && (owner || (moderator && m.role === 'member'));
  if (removable) {
    controls.push(h('button', {
      type: 'button', class: 'link', 'aria-label': `Remove ${m.username}`,
      onclick: () => { if (confirm(`Remove ${m.username} from #${room.name}?`)) act(app.api.del(`rooms/${room.id}/members/${m.user_id}`)); },
    }, 'Remove'));
  }
  const badge = h('span', { class: `avatar small av-${Math.abs(Number(m.user_id) || 0) % 8}`, 'aria-hidden': 'true' },
    [...(m.username || '?')][0].toUpperCase());
  if (m.avatar_url) showAvatar(app.api, badge, m.avatar_url, m.username);
  return h('li', { dataset: { user: m.user_id } },
    h('span', { class: `dot ${m.is_online ? 'online' : ''}`, 'aria-label': m.is_online ? 'online' : 'offline' }), ' ',
    badge, ' ', m.username, m.role !== 'member' ? h('span', { class: 'muted' }, ` ${m.role}`) : null,
    controls.length ? h('span', { class: 'member-tools' }, controls) : null);
}

/** A room's name, topic and privacy (moderators edit the first two, the owner
 * all three), and deleting it (the owner). */
export function settingsPanel(app, room) {
  const { owner } = powers(app, room);
  const error = h('p', { class: 'error', role: 'alert' });
  const name = h('input', { name: 'name', value: room.name, required: true, maxlength: '100' });
  const topic = h('textarea', { name: 'description', rows: '3', maxlength: '500' });
  topic.value = room.description ?? '';
  const open = h('input', { type: 'checkbox', name: 'is_public', checked: room.is_public });
  const cap = h('input', { type: 'number', name: 'max_members', min: '1', value: room.max_members ?? '', placeholder: 'no limit' });
  const keep = h('input', { type: 'number', name: 'retention_days', min: '1', value: room.retention_days ?? '', placeholder: 'as the server keeps them' });
  const number = (input) => (input.value.trim() ? Number(input.value) : null);
  const form = h('form', {
    class: 'room-settings',
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      const body = { name: name.value.trim(), description: topic.value.trim() || null };
      if (owner) {
        body.is_public = open.checked;
        body.max_members = number(cap);
        body.retention_days = number(keep);
      }
      try {
        await app.api.put(`rooms/${room.id}`, body);
        toast('Room saved');
      } catch (err) { error.textContent = err.message; }
    },
  },
  h('label', {}, 'Name', name),
  h('label', {}, 'Description', topic),
  owner ? h('label', { class: 'check' }, open, ' Anyone can find and join it') : null,
  owner ? h('label', {}, 'Member limit', cap) : null,
  owner ? h('label', {}, 'Delete messages after (days)', keep) : null,
  h('button', { type: 'submit', class: 'primary' }, 'Save'), error);
  const danger = owner ? h('div', { class: 'danger-zone' },
    h('button', {
      type: 'button', class: 'danger',
      onclick: async () => {
        if (!confirm(`Delete #${room.name} and all its messages? This cannot be undone.`)) return;
        try { await app.api.del(`rooms/${room.id}`); } catch (err) { error.textContent = err.message; }
      },
    }, 'Delete room')) : null;
  return { title: 'Room settings', body: h('div', {}, form, hooksSection(app, room), danger) };
}

export function pinsPanel(app, roomId) {
  const list = h('ol', { class: 'results', 'aria-label': 'Pinned messages' });
  app.api.get(`rooms/${roomId}/messages?pinned_only=true&limit=50`).then((data) => {
    fill(list, data.messages.length ? data.messages.map((m) => h('li', {},
      h('div', { class: 'meta' }, h('span', { class: 'author' }, m.username), ' ', clock(m.created_at)),
      h('div', { class: 'content' }, m.content))) : h('li', { class: 'hint' }, 'Nothing pinned yet'));
  }).catch((e) => fill(list, h('li', { class: 'error' }, e.message)));
  return { title: 'Pinned', body: list };
}

export function streamsPage(app) {
  const list = h('ul', { class: 'cards', 'aria-label': 'Streams' });
  const load = async () => {
    const data = await app.api.get('streams?limit=50');
    fill(list, data.streams.length ? data.streams.map((s) => h('li', { class: 'card' },
      h('div', {}, h('strong', {}, s.title), ' ', s.is_live ? h('span', { class: 'live' }, 'LIVE') : h('span', { class: 'muted' }, s.ended_at ? 'ended' : 'not started'),
        h('p', { class: 'muted' }, `by ${s.owner?.username ?? '?'} · ${s.viewer_count} watching`)),
      h('a', { class: 'button', href: `/streams/${s.id}`, 'data-link': '' }, 'Open'))) : h('li', { class: 'hint' }, 'No streams yet'));
  };
  const title = h('input', { id: 'stream-title', required: true, maxlength: '200' });
  const url = h('input', { id: 'stream-url', type: 'url', placeholder: 'https://… (HLS or Icecast), optional' });
  const form = h('form', { class: 'stack', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const s = await app.api.post('streams', { title: title.value.trim(), playback_url: url.value.trim() || null });
      app.go(`/streams/${s.id}`);
    } catch (err) { toast(err.message, 'error'); }
  } },
  h('h2', {}, 'Announce a stream'),
  h('label', { for: 'stream-title' }, 'Title'), title,
  h('label', { for: 'stream-url' }, 'Playback URL'), url,
  h('button', { type: 'submit', class: 'primary' }, 'Create'));
  load().catch((e) => toast(e.message, 'error'));
  app.onStreamsChanged = () => load().catch(() => {});
  return page('Live streams', list, form);
}

/** A stream: its player, its state, and its chat room beside it. */
export function streamPage(app, id) {
  const head = h('div', { class: 'stream-head' });
  const player = h('div', { class: 'player' });
  const chat = h('div', { class: 'stream-chat' });
  const view = h('section', { class: 'page stream' }, h('header', { class: 'bar' }, app_menu(), h('h1', {}, 'Stream')), head, player, chat);
  let heartbeat;
  const render = async (s) => {
    const mine = s.owner?.id === app.me.id || app.me.role === 'admin';
    view.querySelector('h1').textContent = s.title;
    fill(head,
      s.is_live ? h('span', { class: 'live' }, 'LIVE') : h('span', { class: 'muted' }, s.ended_at ? 'Ended' : 'Not started'),
      h('span', { class: 'muted viewers' }, ` ${s.viewer_count} watching · by ${s.owner?.username ?? '?'}`),
      s.description ? h('p', {}, s.description) : null,
      mine && !s.is_live ? h('button', { type: 'button', class: 'primary', onclick: () => act('start') }, 'Go live') : null,
      mine && s.is_live ? h('button', { type: 'button', onclick: () => act('stop') }, 'End stream') : null);
    const src = s.file_url ? app.api.media(s.file_url) : s.playback_url;
    if (src && !player.dataset.src) {
      player.dataset.src = src;
      const video = !s.file_url && !/\.(mp3|ogg|opus|aac)(\?|$)/i.test(src);
      fill(player, video
        ? h('video', { controls: true, src, 'aria-label': s.title, playsinline: true })
        : h('audio', { controls: true, src, 'aria-label': s.title }));
    } else if (!src) {
      fill(player, s.file_id ? attachment(app.api, { id: s.file_id, mime_type: 'audio/mpeg', original_filename: s.title, size: 0 }) : h('p', { class: 'muted' }, 'No player for this stream: it is played elsewhere.'));
    }
  };
  const act = async (what) => {
    try { await render(await app.api.post(`streams/${id}/${what}`)); } catch (e) { toast(e.message, 'error'); }
  };
  app.api.get(`streams/${id}`).then(async (s) => {
    await render(s);
    let room = app.sidebar.rooms.get(s.room_id);
    if (!room) {
      try { room = await app.api.get(`rooms/${s.room_id}`); } catch { room = null; }
    }
    if (room) {
      const timeline = new Timeline(app, {
        kind: 'room', id: room.id, label: `#${room.name}`, canPost: !!room.my_role,
        canModerate: ['owner', 'moderator'].includes(room.my_role) || app.me.role === 'admin',
      });
      app.timeline = timeline;
      fill(chat, room.my_role ? null : h('button', { type: 'button', class: 'primary', onclick: () => app.joinRoom(room.id, `/streams/${id}`) }, 'Join the chat'), timeline.el);
      timeline.load();
    }
    const beat = () => app.api.post(`streams/${id}/watch`).then((r) => {
      const viewers = head.querySelector('.viewers');
      if (viewers) viewers.textContent = ` ${r.viewer_count} watching · by ${s.owner?.username ?? '?'}`;
    }).catch(() => {});
    beat();
    heartbeat = setInterval(beat, 30000);
  }).catch((e) => fill(head, h('p', { class: 'error' }, e.message)));
  app.onStreamsChanged = (s) => { if (s?.id === Number(id)) render(s); };
  app.onLeave = () => clearInterval(heartbeat);
  return view;
}
