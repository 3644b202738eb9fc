// Sign in, register, or sign in with the identity provider when one is configured.

import { h, fill } from './dom.js';
import { forgotForm } from './team.js';

export function authScreen(app, mode = 'signin', message = '') {
  if (mode === 'forgot') return forgotForm(app);
  const error = h('p', { class: 'error', role: 'alert' }, message);
  const field = (label, attrs) => {
    const id = `auth-${attrs.name}`;
    return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, ...attrs, required: true }));
  };
  const signin = mode === 'signin';
  const form = h('form', { class: 'auth-form', novalidate: false },
    h('h1', {}, signin ? 'Sign in to Veza' : 'Create your Veza account'),
    signin
      ? field('Username or e-mail', { name: 'login', autocomplete: 'username', autofocus: true })
      : [
        field('Username', { name: 'username', autocomplete: 'username', minlength: '3', maxlength: '32', pattern: '[A-Za-z0-9_.\\-]+', autofocus: true }),
        field('E-mail', { name: 'email', type: 'email', autocomplete: 'email' }),
      ],
    field('Password', { name: 'password', type: 'password', autocomplete: signin ? 'current-password' : 'new-password', minlength: signin ? null : '8' }),
    error,
    h('button', { type: 'submit', class: 'primary' }, signin ? 'Sign in' : 'Create account'),
    h('p', { class: 'switch register-switch' }, signin ? 'New here? ' : 'Have an account? ',
      h('button', { type: 'button', class: 'link', onclick: () => app.showAuth(signin ? 'register' : 'signin') },
        signin ? 'Create an account' : 'Sign in')),
    signin ? h('p', { class: 'switch forgot', hidden: true },
      h('button', { type: 'button', class: 'link', onclick: () => app.showAuth('forgot') }, 'Forgot your password?')) : null);
  const provider = h('div', { class: 'provider' });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    error.textContent = '';
    try {
      const user = signin
        ? await app.api.login(data.login.trim(), data.password)
        : await app.api.register({ username: data.username.trim(), email: data.email.trim(), password: data.password });
      app.signedIn(user);
    } catch (err) {
      const field = err.details?.field ? ` (${err.details.field}${err.details.reason ? `: ${err.details.reason}` : ''})` : '';
      error.textContent = `${err.message}${field}`;
      button.disabled = false;
    }
  });
  // Asked of /auth/methods, which answers either way (no 404 in the console).
  app.api.get('auth/methods').then((m) => {
    const forgot = form.querySelector('.forgot');
    if (forgot && m.email) forgot.hidden = false;
    // Past the first account, registration without an invitation may be off.
    if (signin && m.registration && m.registration !== 'open') {
      fill(form.querySelector('.register-switch'), 'New here? Ask a colleague for an invitation link.');
    }
    if (!m.identity_provider) return;
    fill(provider, h('div', { class: 'or' }, 'or'),
      h('a', { class: 'button', href: '/api/v1/auth/oauth/authorize' }, `Sign in with ${m.identity_provider}`));
  }).catch(() => { /* the page works without it */ });
  return h('main', { class: 'auth' }, h('div', { class: 'auth-card' },
    h('div', { class: 'brand', 'aria-hidden': 'true' }, 'Veza'), form, provider));
}

/** The provider sent the browser back with a code: finish the sign-in. */
export async function finishProviderSignIn(app) {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const state = params.get('state');
  history.replaceState(null, '', '/');
  if (params.get('error') || !code || !state) {
    app.showAuth('signin', `The provider refused the sign-in${params.get('error') ? `: ${params.get('error')}` : ''}.`);
    return;
  }
  try {
    app.signedIn(await app.api.oauthFinish(code, state));
  } catch (err) {
    app.showAuth('signin', err.message);
  }
}
