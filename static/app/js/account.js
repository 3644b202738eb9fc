// The user's own profile and password, and the administrators' page.

import { h, fill, toast, clock, bytes } from './dom.js';
import { page } from './views.js';
import { notificationSection } from './notify_settings.js';
import { avatarSection, openInviteDialog } from './team.js';
import { botsSection, sessionsSection, tokensSection } from './integrations.js';

function field(label, input) {
  return h('label', { class: 'field' }, label, input);
}

export function profilePage(app) {
  const me = app.me;
  const first = h('input', { name: 'first_name', value: me.first_name ?? '', maxlength: '64', autocomplete: 'given-name' });
  const last = h('input', { name: 'last_name', value: me.last_name ?? '', maxlength: '64', autocomplete: 'family-name' });
  const status = h('input', { name: 'status_message', value: me.status_message ?? '', maxlength: '256' });
  const email = h('input', { type: 'email', name: 'email', value: me.email ?? '', required: true, autocomplete: 'email' });
  const error = h('p', { class: 'error', role: 'alert' });
  const profile = h('form', {
    class: 'stack',
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      try {
        app.me = await app.api.put('users/me', {
          email: email.value.trim(),
          first_name: first.value.trim() || null,
          last_name: last.value.trim() || null,
          status_message: status.value.trim() || null,
        });
        toast('Profile saved');
      } catch (err) { error.textContent = err.message; }
    },
  },
  h('h2', {}, 'Profile'),
  h('p', { class: 'muted' }, me.username),
  field('First name', first), field('Last name', last), field('Status', status), field('E-mail', email),
  h('button', { type: 'submit', class: 'primary' }, 'Save profile'), error);

  const current = h('input', { type: 'password', name: 'current_password', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', required: true, minlength: '8' });
  const passwordError = h('p', { class: 'error', role: 'alert' });
  const password = h('form', {
    class: 'stack',
    onsubmit: async (e) => {
      e.preventDefault();
      passwordError.textContent = '';
      try {
        const done = await app.api.put('users/me/password', { current_password: current.value, new_password: next.value });
        current.value = '';
        next.value = '';
        const others = done.other_sessions_ended;
        toast(`Password changed${others ? `; ${others} other session${others === 1 ? '' : 's'} signed out` : ''}`);
      } catch (err) { passwordError.textContent = err.message; }
    },
  },
  h('h2', {}, 'Password'),
  field('Current password', current), field('New password', next),
  h('p', { class: 'hint' }, 'Changing it signs out your other sessions.'),
  h('button', { type: 'submit', class: 'primary' }, 'Change password'), passwordError);
  return page('Your profile', profile, avatarSection(app), notificationSection(app), password, sessionsSection(app), tokensSection(app));
}

/** The server's users (administrators): find, deactivate or reactivate, make or
 * unmake admins; the server's numbers above. */
export function adminPage(app) {
  const stats = h('dl', { class: 'stats' });
  app.api.get('admin/stats').then((s) => {
    const rows = [['Users', s.users.total], ['Online now', s.users.online], ['Rooms', s.rooms.total],
      ['Messages', s.messages.total], ['Files', `${s.files.count} (${bytes(s.files.bytes)})`],
      ['Webhook deliveries pending', s.webhooks.pending]];
    fill(stats, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]));
  }).catch((e) => fill(stats, h('dd', { class: 'error' }, e.message)));
  const list = h('table', { class: 'users' });
  const query = h('input', { type: 'search', 'aria-label': 'Find users', placeholder: 'Find users' });
  // Pages of 100, "Show more" adding the next: a server of thousands stays usable.
  let pages = 1;
  const more = h('button', { type: 'button', hidden: true, onclick: () => { pages += 1; load().catch((e) => toast(e.message, 'error')); } }, 'Show more users');
  const load = async () => {
    const q = query.value.trim();
    const filter = q ? `&q=${encodeURIComponent(q)}` : '';
    const shown = [];
    let data = null;
    for (let page = 1; page <= pages; page += 1) {
      data = await app.api.get(`admin/users?limit=100&page=${page}${filter}`);
      shown.push(...data.users);
      if (!data.has_more) break;
    }
    more.hidden = !data?.has_more;
    fill(list,
      h('thead', {}, h('tr', {}, ['User', 'E-mail', 'Role', 'Status', 'Last seen', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, shown.map((u) => userRow(app, u, load))));
  };
  load().catch((e) => toast(e.message, 'error'));
  query.addEventListener('input', () => { clearTimeout(query.timer); query.timer = setTimeout(() => { pages = 1; load().catch(() => {}); }, 250); });
  return page('Server', h('h2', {}, 'Numbers'), stats, h('h2', {}, 'Users'),
    h('div', { class: 'row' }, query,
      h('button', { type: 'button', onclick: () => openInviteDialog(app) }, 'Invite people')),
    h('div', { class: 'table-wrap' }, list), more, createAccount(app, load), botsSection(app));
}

/** An account made by the admin: with a password, or with a one-time link to hand over. */
function createAccount(app, reload) {
  const username = h('input', { name: 'username', required: true, minlength: '3', maxlength: '32', autocomplete: 'off' });
  const email = h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' });
  const password = h('input', { name: 'password', type: 'password', minlength: '8', autocomplete: 'new-password', placeholder: 'leave empty for a link' });
  const error = h('p', { class: 'error', role: 'alert' });
  const result = h('div', { 'aria-live': 'polite' });
  const form = h('form', {
    class: 'stack',
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      fill(result);
      try {
        const made = await app.api.post('admin/users', {
          username: username.value.trim(), email: email.value.trim(),
          ...(password.value ? { password: password.value } : {}),
        });
        if (made.set_password) fill(result, oneTimeLink(`Give ${made.username} this link to choose a password`, made.set_password));
        else toast(`${made.username} can sign in`);
        form.reset();
        reload();
      } catch (err) { error.textContent = err.message; }
    },
  }, h('h2', {}, 'Make an account'), field('Username', username), field('E-mail', email), field('Password', password),
  h('button', { type: 'submit', class: 'primary' }, 'Make account'), error, result);
  return form;
}

/** A one-time link shown once, with a copy button. */
function oneTimeLink(text, link) {
  const input = h('input', { type: 'text', readonly: true, value: link.url, 'aria-label': 'One-time link', class: 'invite-link' });
  return h('div', { class: 'one-time' }, h('p', {}, `${text} (works once, until ${new Date(link.expires_at).toLocaleString()}):`),
    input, h('button', {
      type: 'button',
      onclick: async () => { input.select(); try { await navigator.clipboard.writeText(link.url); toast('Link copied'); } catch { /* selected */ } },
    }, 'Copy'));
}

function userRow(app, u, reload) {
  const self = u.id === app.me.id;
  const act = (body, done) => app.api.put(`admin/users/${u.id}`, body)
    .then(() => { toast(done); return reload(); })
    .catch((e) => toast(e.message, 'error'));
  const tools = self ? h('span', { class: 'muted' }, 'you') : h('span', { class: 'row-tools' },
    u.is_active
      ? h('button', { type: 'button', 'aria-label': `Deactivate ${u.username}`, onclick: () => {
        if (confirm(`Deactivate ${u.username}? Their sessions end at once.`)) act({ is_active: false }, `${u.username} deactivated`);
      } }, 'Deactivate')
      : h('button', { type: 'button', 'aria-label': `Reactivate ${u.username}`, onclick: () => act({ is_active: true }, `${u.username} reactivated`) }, 'Reactivate'),
    u.is_active ? h('button', {
      type: 'button', 'aria-label': `Password link for ${u.username}`,
      onclick: async (e) => {
        try {
          const link = await app.api.post(`admin/users/${u.id}/password-reset`);
          e.target.closest('tr').after(h('tr', {}, h('td', { colspan: '6' }, oneTimeLink(`A password link for ${u.username}`, link))));
        } catch (err) { toast(err.message, 'error'); }
      },
    }, 'Password link') : null,
    u.role === 'admin'
      ? h('button', { type: 'button', 'aria-label': `Remove admin from ${u.username}`, onclick: () => act({ role: 'user' }, `${u.username} is no longer an admin`) }, 'Unmake admin')
      : h('button', { type: 'button', 'aria-label': `Make ${u.username} admin`, onclick: () => act({ role: 'admin' }, `${u.username} is an admin`) }, 'Make admin'));
  return h('tr', { dataset: { user: u.id } },
    h('td', {}, u.username), h('td', {}, u.email ?? ''), h('td', {}, u.role),
    h('td', {}, u.is_active ? 'active' : 'deactivated'),
    h('td', {}, u.last_seen ? clock(u.last_seen) : ''), h('td', {}, tools));
}
