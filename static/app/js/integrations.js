// Bots and integrations (API §20): access tokens on the profile, incoming
// webhooks in a room's settings, bots on the admin page. Secrets are shown
// once, in a read-only field with a Copy button.

import { h, fill, toast, clock } from './dom.js';

function secretBox(label, value) {
  const input = h('input', { type: 'text', readonly: true, value, 'aria-label': label, class: 'invite-link' });
  const box = h('div', { class: 'one-time' }, h('p', {}, `${label} (shown once, copy it now):`), input,
    h('button', {
      type: 'button',
      onclick: async () => { input.select(); try { await navigator.clipboard.writeText(value); toast('Copied'); } catch { /* selected */ } },
    }, 'Copy'));
  setTimeout(() => input.select(), 0);
  return box;
}

function explain(err) {
  return err.details?.field ? `${err.message} (${err.details.field}: ${err.details.reason ?? ''})` : err.message;
}

/** A token list and its form, for the caller (`path` = `users/me/tokens`) or a bot. */
function tokenManager(app, path, { allowAdmin }) {
  const list = h('ul', { class: 'tokens', 'aria-label': 'Access tokens' });
  const result = h('div', { 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert' });
  const load = () => app.api.get(path).then((data) => {
    fill(list, data.tokens.length ? data.tokens.map((t) => h('li', {},
      h('strong', {}, t.name), ` · ${t.scopes.join(', ')}`,
      ` · ${t.last_used_at ? `used ${clock(t.last_used_at)}` : 'never used'}`,
      t.expires_at ? ` · until ${new Date(t.expires_at).toLocaleDateString()}` : '',
      ' ', h('button', {
        type: 'button', class: 'link', 'aria-label': `Revoke token ${t.name}`,
        onclick: () => app.api.del(`${path}/${t.id}`).then(load).then(() => toast('Token revoked')).catch((e) => toast(e.message, 'error')),
      }, 'Revoke'))) : h('li', { class: 'muted' }, 'No tokens.'));
  }).catch((e) => fill(list, h('li', { class: 'error' }, e.message)));
  const name = h('input', { name: 'token_name', required: true, maxlength: '64', 'aria-label': 'Token name', placeholder: 'what it is for' });
  const scope = (value, checked) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value, checked }), ` ${value}`);
  const scopes = [scope('read', true), scope('write', false), allowAdmin ? scope('admin', false) : null].filter(Boolean);
  const days = h('select', { 'aria-label': 'Expires' },
    [['never', ''], ['30 days', '30'], ['90 days', '90'], ['1 year', '365']].map(([label, v]) => h('option', { value: v }, label)));
  const form = h('form', {
    class: 'stack',
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      const chosen = scopes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
      try {
        const made = await app.api.post(path, {
          name: name.value.trim(), scopes: chosen, ...(days.value ? { expires_in_days: Number(days.value) } : {}),
        });
        fill(result, secretBox(`Token ${made.name}`, made.token));
        name.value = '';
        load();
      } catch (err) { error.textContent = explain(err); }
    },
  }, h('div', { class: 'row' }, name, ...scopes, days, h('button', { type: 'submit', class: 'primary' }, 'Make token')), error);
  load();
  return h('div', {}, list, form, result);
}

/** The profile's section: the caller's access tokens for scripts. */
export function tokensSection(app) {
  return h('div', { class: 'stack tokens-section' }, h('h2', {}, 'Access tokens'),
    h('p', { class: 'hint' }, 'For scripts: send one as "Authorization: Bearer vz_…". A token cannot make tokens or change your password.'),
    tokenManager(app, 'users/me/tokens', { allowAdmin: app.me.role === 'admin' }));
}

/** A room's incoming webhooks, in its settings (moderators). */
export function hooksSection(app, room) {
  const list = h('ul', { class: 'hooks', 'aria-label': 'Incoming webhooks' });
  const result = h('div', { 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert' });
  const base = `rooms/${room.id}/incoming-webhooks`;
  const load = () => app.api.get(base).then((data) => {
    fill(list, data.incoming_webhooks.length ? data.incoming_webhooks.map((hk) => h('li', {},
      h('strong', {}, hk.name), ` · ${hk.last_used_at ? `last post ${clock(hk.last_used_at)}` : 'not used yet'} `,
      h('button', {
        type: 'button', class: 'link', 'aria-label': `New URL for ${hk.name}`,
        onclick: () => app.api.post(`${base}/${hk.id}/rotate-secret`).then((made) => fill(result, secretBox(`New URL of ${hk.name}`, made.url))).catch((e) => toast(e.message, 'error')),
      }, 'New URL'), ' ',
      h('button', {
        type: 'button', class: 'link', 'aria-label': `Delete webhook ${hk.name}`,
        onclick: () => { if (confirm(`Delete the webhook ${hk.name}? Its URL stops at once.`)) app.api.del(`${base}/${hk.id}`).then(load).catch((e) => toast(e.message, 'error')); },
      }, 'Delete'))) : h('li', { class: 'muted' }, 'None yet.'));
  }).catch((e) => fill(list, h('li', { class: 'error' }, e.message)));
  const name = h('input', { name: 'hook_name', required: true, maxlength: '64', 'aria-label': 'Webhook name', placeholder: 'e.g. Monitoring' });
  const form = h('form', {
    class: 'row',
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      try {
        const made = await app.api.post(base, { name: name.value.trim() });
        fill(result, secretBox(`URL of ${made.name}`, made.url),
          h('p', { class: 'hint' }, 'Paste it where a Slack incoming webhook URL goes; it takes {"text": …}.'));
        name.value = '';
        load();
      } catch (err) { error.textContent = explain(err); }
    },
  }, name, h('button', { type: 'submit' }, 'Make webhook'));
  load();
  return h('div', { class: 'stack hooks-section' }, h('h3', {}, 'Incoming webhooks'), list, form, error, result);
}

/** The admin page's bots: make one, its tokens, deactivate. */
export function botsSection(app) {
  const list = h('ul', { class: 'bots', 'aria-label': 'Bots' });
  const error = h('p', { class: 'error', role: 'alert' });
  const load = () => app.api.get('bots').then((data) => {
    fill(list, data.bots.length ? data.bots.map((b) => {
      const tokens = h('div', { hidden: true });
      return h('li', {},
        h('strong', {}, b.username), b.first_name ? ` (${b.first_name})` : '', b.is_active ? '' : ' · deactivated', ' ',
        b.is_active ? h('button', {
          type: 'button', class: 'link', 'aria-label': `Tokens of ${b.username}`,
          onclick: () => { if (tokens.hidden) fill(tokens, tokenManager(app, `bots/${b.id}/tokens`, { allowAdmin: false })); tokens.hidden = !tokens.hidden; },
        }, 'Tokens') : null, ' ',
        b.is_active ? h('button', {
          type: 'button', class: 'link', 'aria-label': `Deactivate ${b.username}`,
          onclick: () => { if (confirm(`Deactivate ${b.username}? Its tokens stop at once.`)) app.api.del(`bots/${b.id}`).then(load).catch((e) => toast(e.message, 'error')); },
        }, 'Deactivate') : null,
        tokens);
    }) : h('li', { class: 'muted' }, 'No bots yet.'));
  }).catch((e) => fill(list, h('li', { class: 'error' }, e.message)));
  const username = h('input', { name: 'bot_username', required: true, minlength: '3', maxlength: '32', 'aria-label': 'Bot username', placeholder: 'ci-bot' });
  const form = h('form', {
    class: 'row',
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      try {
        await app.api.post('bots', { username: username.value.trim() });
        username.value = '';
        load();
      } catch (err) { error.textContent = explain(err); }
    },
  }, username, h('button', { type: 'submit' }, 'Make bot'));
  load();
  return h('div', { class: 'stack bots-section' }, h('h2', {}, 'Bots'),
    h('p', { class: 'hint' }, 'Add a bot to rooms like anyone (Members panel), and give its token to the program that drives it.'),
    list, form, error);
}

/** The mark beside a bot's or a hook's name in the timeline. */
export function authorMark(m) {
  if (m.author_kind === 'bot') return h('span', { class: 'badge bot', title: 'A bot' }, 'BOT');
  if (m.author_kind === 'hook') {
    const label = m.metadata?.hook?.username;
    return [h('span', { class: 'badge hook', title: `Incoming webhook ${m.metadata?.hook?.name ?? ''}` }, 'HOOK'),
      label ? h('span', { class: 'muted' }, ` via ${label}`) : null];
  }
  return null;
}

/** A browser's name from its user agent, enough to tell sessions apart. */
function deviceOf(agent) {
  if (!agent) return 'Unknown device';
  const browser = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox'
    : /Chrom(e|ium)\//.test(agent) ? 'Chromium' : /Safari\//.test(agent) ? 'Safari' : agent.split(/[ /]/)[0];
  const system = /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS'
    : /Windows/.test(agent) ? 'Windows' : /Mac OS/.test(agent) ? 'macOS' : /Linux/.test(agent) ? 'Linux' : '';
  return system ? `${browser} on ${system}` : browser;
}

/** The profile's "Where you are signed in": each live session, signed out in one click. */
export function sessionsSection(app) {
  const list = h('ul', { class: 'sessions', 'aria-label': 'Sessions' });
  const load = () => app.api.get('users/me/sessions').then((data) => {
    fill(list, data.sessions.map((s) => {
      const current = s.id === data.current_session_id;
      return h('li', {},
        h('strong', {}, deviceOf(s.user_agent)), s.ip_address ? ` · ${s.ip_address}` : '',
        ` · last active ${clock(s.last_used_at)}`,
        current ? h('span', { class: 'muted' }, ' · this browser') : [' ', h('button', {
          type: 'button', class: 'link', 'aria-label': `Sign out session ${s.id}`,
          onclick: () => app.api.del(`users/me/sessions/${s.id}`).then(load).then(() => toast('Signed out')).catch((e) => toast(e.message, 'error')),
        }, 'Sign out')]);
    }));
  }).catch((e) => fill(list, h('li', { class: 'error' }, e.message)));
  load();
  return h('div', { class: 'stack sessions-section' }, h('h2', {}, 'Where you are signed in'), list);
}
