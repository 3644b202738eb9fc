// Accounts for a team (API §17): the invitation page, password reset and e-mail
// verification pages (before sign-in), the invitation dialog, avatars, and the
// verification banner.

import { h, fill, toast } from './dom.js';

/** A link's token: after `#token=` (browsers never send the fragment). */
export function tokenOfLocation() {
  return new URLSearchParams(location.hash.slice(1)).get('token') || '';
}

function card(...children) {
  return h('main', { class: 'auth' }, h('div', { class: 'auth-card' },
    h('div', { class: 'brand', 'aria-hidden': 'true' }, 'Veza'), ...children));
}

function field(label, attrs) {
  const id = `team-${attrs.name}`;
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, required: true, ...attrs }));
}

function explain(err) {
  const field = err.details?.field ? ` (${err.details.field}${err.details.reason ? `: ${err.details.reason}` : ''})` : '';
  return `${err.message}${field}`;
}

/** `/invite/{code}`: who invites to what, and an account made with the code. */
export function invitePage(app, code) {
  const about = h('div', { class: 'invite-about', 'aria-live': 'polite' }, 'Looking at the invitation…');
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'auth-form', hidden: true },
    field('Username', { name: 'username', autocomplete: 'username', minlength: '3', maxlength: '32', pattern: '[A-Za-z0-9_.\\-]+' }),
    field('E-mail', { name: 'email', type: 'email', autocomplete: 'email' }),
    field('Password', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: '8' }),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Create account and join'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    error.textContent = '';
    try {
      const user = await app.api.register({
        username: data.username.trim(), email: data.email.trim(), password: data.password, invite_code: code,
      });
      history.replaceState(null, '', '/');
      app.signedIn(user);
    } catch (err) {
      error.textContent = explain(err);
      button.disabled = false;
    }
  });
  app.api.call('GET', `invites/${encodeURIComponent(code)}`, undefined, { retry: false }).then((invite) => {
    const rooms = invite.rooms.map((r) => h('li', {}, `#${r.name}`));
    fill(about,
      h('h1', {}, `${invite.inviter.username} invited you to Veza`),
      rooms.length ? [h('p', {}, 'You will join:'), h('ul', { class: 'invite-rooms' }, rooms)] : null,
      h('p', { class: 'hint' }, `The invitation is good until ${new Date(invite.expires_at).toLocaleString()}.`));
    form.hidden = false;
    form.querySelector('input')?.focus();
    if (invite.email) form.querySelector('input[name=email]').value = invite.email;
  }).catch((err) => {
    fill(about, h('h1', {}, 'This invitation cannot be used'),
      h('p', {}, err.status === 404
        ? 'It is unknown, used up, revoked or expired. Ask whoever sent it for a new one.'
        : err.message));
  });
  return card(about, form, h('p', { class: 'switch' }, 'Have an account? ',
    h('button', { type: 'button', class: 'link', onclick: () => { history.replaceState(null, '', '/'); app.showAuth('signin'); } }, 'Sign in')));
}

/** `/reset-password#token=…`: a new password, then signing in again. */
export function resetPage(app) {
  const token = tokenOfLocation();
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'auth-form' },
    h('h1', {}, 'Choose a new password'),
    field('New password', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: '8', autofocus: true }),
    h('p', { class: 'hint' }, 'Every session of your account is signed out.'),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Set password'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    error.textContent = '';
    try {
      await app.api.call('POST', 'auth/password-reset/confirm',
        { token, new_password: form.password.value }, { retry: false });
      app.api.forget();
      history.replaceState(null, '', '/');
      app.showAuth('signin', 'Your password is set. Sign in with it.');
    } catch (err) {
      error.textContent = err.details?.field === 'token'
        ? 'This link does not work any more (used, expired, or replaced by a newer one). Ask for a new one.'
        : explain(err);
      button.disabled = false;
    }
  });
  return card(form);
}

/** `/verify-email#token=…`: spends the link, then carries on. */
export function verifyPage(app) {
  const token = tokenOfLocation();
  const status = h('p', { role: 'status' }, 'Checking your link…');
  const next = h('button', { type: 'button', class: 'primary', hidden: true, onclick: () => { history.replaceState(null, '', '/'); app.boot(); } }, 'Continue');
  app.api.call('POST', 'auth/verify-email', { token }, { retry: false }).then(() => {
    status.textContent = 'Your e-mail address is verified. Thank you!';
    if (app.me) app.me.email_verified = true;
  }).catch((err) => {
    status.textContent = err.details?.field === 'token'
      ? 'This link does not work (used, expired, or for an address you have changed since).'
      : err.message;
    status.classList.add('error');
  }).finally(() => { next.hidden = false; next.focus(); });
  return card(h('h1', {}, 'E-mail address'), status, next);
}

/** The sign-in screen's "Forgot your password?": a reset link by mail. */
export function forgotForm(app) {
  const done = h('p', { role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'auth-form' },
    h('h1', {}, 'Reset your password'),
    field('E-mail', { name: 'email', type: 'email', autocomplete: 'email', autofocus: true }),
    error, done,
    h('button', { type: 'submit', class: 'primary' }, 'Send me a link'),
    h('p', { class: 'switch' }, h('button', { type: 'button', class: 'link', onclick: () => app.showAuth('signin') }, 'Back to sign in')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      await app.api.call('POST', 'auth/password-reset', { email: form.email.value.trim() }, { retry: false });
      done.textContent = 'If an account has this address, a link is on its way. It works for 30 minutes.';
    } catch (err) { error.textContent = explain(err); }
  });
  return card(form);
}

/** A banner while the signed-in user's address is unverified (servers that send mail). */
export function verifyBanner(app, methods) {
  if (!methods?.email || app.me?.email_verified) return null;
  const banner = h('div', { class: 'banner', role: 'status' },
    `Please verify your e-mail address (${app.me.email}): open the link we sent. `,
    h('button', {
      type: 'button', class: 'link',
      onclick: async (e) => {
        try {
          await app.api.post('users/me/verify-email');
          toast('A new link is on its way');
          e.target.disabled = true;
        } catch (err) { toast(err.message, 'error'); }
      },
    }, 'Send it again'),
    h('button', { type: 'button', class: 'close', 'aria-label': 'Hide', onclick: () => banner.remove() }, '✕'));
  return banner;
}

const EXPIRIES = [['1 hour', 3600], ['1 day', 86400], ['7 days', 7 * 86400], ['30 days', 30 * 86400]];

/** The invitation dialog: rooms, uses, expiry, an optional address; the link to
 * copy; the caller's live invitations with revoke. */
export function openInviteDialog(app, roomId = null) {
  const admin = app.me.role === 'admin';
  const rooms = [...app.sidebar.rooms.values()]
    .filter((r) => admin || ['owner', 'moderator'].includes(r.my_role))
    .sort((a, b) => a.name.localeCompare(b.name));
  const boxes = rooms.map((r) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'room', value: String(r.id), checked: r.id === roomId }), ` #${r.name}`));
  const uses = h('input', { type: 'number', name: 'max_uses', min: '1', max: '1000', value: '1', required: true });
  const expiry = h('select', { name: 'expires_in_secs' },
    EXPIRIES.map(([label, secs]) => h('option', { value: String(secs), selected: secs === 7 * 86400 }, label)));
  const email = h('input', { type: 'email', name: 'email', placeholder: 'optional', autocomplete: 'off' });
  const error = h('p', { class: 'error', role: 'alert' });
  const result = h('div', { class: 'invite-result', 'aria-live': 'polite' });
  const mine = h('ul', { class: 'invites', 'aria-label': 'Your invitations' });
  const loadMine = () => app.api.get('invites?limit=50').then((data) => {
    const live = data.invites.filter((i) => !i.revoked && i.uses < i.max_uses && new Date(i.expires_at) > new Date());
    fill(mine, live.length ? live.map((i) => h('li', {},
      `${i.room_ids.map((id) => `#${app.sidebar.rooms.get(id)?.name ?? id}`).join(', ') || 'the server'} · ${i.uses}/${i.max_uses} used · until ${new Date(i.expires_at).toLocaleDateString()}`,
      ' ', h('button', {
        type: 'button', class: 'link', 'aria-label': `Revoke invitation ${i.id}`,
        onclick: () => app.api.del(`invites/${i.id}`).then(loadMine).then(() => toast('Invitation revoked')).catch((e) => toast(e.message, 'error')),
      }, 'Revoke'))) : h('li', { class: 'muted' }, 'No live invitations.'));
  }).catch((e) => fill(mine, h('li', { class: 'error' }, e.message)));
  const form = h('form', { class: 'stack', method: 'dialog' },
    h('h2', {}, 'Invite people'),
    rooms.length ? h('fieldset', {}, h('legend', {}, 'Rooms they join'), boxes)
      : h('p', { class: 'muted' }, 'You moderate no rooms to invite to.'),
    h('label', { class: 'field' }, 'How many people may use it', uses),
    h('label', { class: 'field' }, 'Good for', expiry),
    app.methods?.email ? h('label', { class: 'field' }, 'Send it to (e-mail)', email) : null,
    error,
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'primary' }, 'Make link'),
      h('button', { type: 'button', onclick: () => dialog.close() }, 'Close')),
    result,
    h('h3', {}, 'Your live invitations'), mine);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const roomIds = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => Number(i.value));
    try {
      const made = await app.api.post('invites', {
        room_ids: roomIds, max_uses: Number(uses.value), expires_in_secs: Number(expiry.value),
        ...(email.value.trim() ? { email: email.value.trim() } : {}),
      });
      const link = h('input', { type: 'text', readonly: true, value: made.url, 'aria-label': 'Invitation link', class: 'invite-link' });
      fill(result, h('p', {}, email.value.trim() ? `Sent to ${email.value.trim()}. The link:` : 'Share this link (it is shown once):'),
        link, h('button', {
          type: 'button',
          onclick: async () => {
            link.select();
            try { await navigator.clipboard.writeText(made.url); toast('Link copied'); } catch { document.execCommand?.('copy'); }
          },
        }, 'Copy link'));
      link.select();
      loadMine();
    } catch (err) { error.textContent = explain(err); }
  });
  const dialog = h('dialog', { class: 'invite-dialog', 'aria-label': 'Invite people' }, form);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  loadMine();
  return dialog;
}

/** Object URLs of avatars, by `avatar_url` (immutable: the URL names the digest).
 * `<img>` cannot send the token, so avatars are fetched with it once. */
const avatarCache = new Map();

export function avatarSrc(api, url) {
  if (!url) return Promise.resolve(null);
  if (!avatarCache.has(url)) {
    const pending = fetch(url, { headers: { Authorization: `Bearer ${api.accessToken || ''}` } })
      .then((res) => (res.ok ? res.blob() : null))
      .then((blob) => (blob ? URL.createObjectURL(blob) : null))
      .catch(() => null);
    avatarCache.set(url, pending);
    // A failure is not kept: the next message tries again.
    pending.then((src) => { if (!src) avatarCache.delete(url); });
  }
  return avatarCache.get(url);
}

/** Puts the avatar image into `el` (an initial badge) once it is loaded. */
export function showAvatar(api, el, url, name) {
  avatarSrc(api, url).then((src) => {
    if (!src) return;
    el.replaceChildren(h('img', { src, alt: '', width: '32', height: '32' }));
    el.classList.add('has-image');
    el.title = name || '';
  });
}

/** The profile's avatar: a preview of the chosen image before it is sent. */
export function avatarSection(app) {
  const preview = h('span', { class: 'avatar big av-0', 'aria-hidden': 'true' }, [...(app.me.username || '?')][0].toUpperCase());
  if (app.me.avatar_url) showAvatar(app.api, preview, app.me.avatar_url, app.me.username);
  const input = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp', 'aria-label': 'Choose an image' });
  const error = h('p', { class: 'error', role: 'alert' });
  const save = h('button', { type: 'button', class: 'primary', disabled: true }, 'Save avatar');
  const remove = h('button', { type: 'button', hidden: !app.me.avatar_url }, 'Remove');
  let chosen = null;
  input.addEventListener('change', () => {
    chosen = input.files[0] || null;
    error.textContent = '';
    if (!chosen) return;
    if (chosen.size > 5 * 1024 * 1024) {
      error.textContent = 'That image is over 5 MB.';
      chosen = null;
      return;
    }
    preview.replaceChildren(h('img', { src: URL.createObjectURL(chosen), alt: '', width: '64', height: '64' }));
    preview.classList.add('has-image');
    save.disabled = false;
  });
  save.addEventListener('click', async () => {
    const form = new FormData();
    form.append('file', chosen, chosen.name);
    save.disabled = true;
    try {
      app.me = await app.api.call('PUT', 'users/me/avatar', form);
      remove.hidden = false;
      toast('Avatar saved');
    } catch (err) {
      error.textContent = err.message;
      save.disabled = false;
    }
  });
  remove.addEventListener('click', async () => {
    try {
      await app.api.del('users/me/avatar');
      app.me = await app.api.get('users/me');
      preview.replaceChildren([...(app.me.username || '?')][0].toUpperCase());
      preview.classList.remove('has-image');
      remove.hidden = true;
    } catch (err) { error.textContent = err.message; }
  });
  return h('div', { class: 'stack avatar-section' }, h('h2', {}, 'Avatar'),
    h('div', { class: 'row' }, preview, input), h('p', { class: 'hint' }, 'PNG, JPEG, GIF or WebP up to 5 MB; shown as a square.'),
    h('div', { class: 'row' }, save, remove), error);
}
