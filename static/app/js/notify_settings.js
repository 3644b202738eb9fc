// The screens that set notifications: a room's menu (level and mute) and the
// profile's section (enable in this browser, default level, do-not-disturb).

import { h, fill, toast, clock } from './dom.js';
import { FOREVER, isFuture } from './notify.js';

const LEVELS = [
  ['all', 'All messages'],
  ['mentions', 'Mentions and direct messages'],
  ['none', 'Nothing'],
];

const HOUR = 3600 * 1000;

function later(ms) {
  return new Date(Date.now() + ms).toISOString();
}

/** Tomorrow at 8:00, local time. */
function tomorrowMorning() {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  d.setHours(8, 0, 0, 0);
  return d.toISOString();
}

function untilText(until) {
  if (until >= FOREVER.slice(0, 4)) return 'until you turn it back on';
  const at = new Date(until);
  const sameDay = at.toDateString() === new Date().toDateString();
  return `until ${sameDay ? '' : `${at.toLocaleDateString()} `}${clock(until)}`;
}

/** The room header's bell: the room's level and its mute. */
export function roomNotificationMenu(app, room) {
  const summary = h('summary', { class: 'tool', 'aria-label': 'Notification settings for this room', title: 'Notifications' });
  const list = h('div', { class: 'menu-items', role: 'group', 'aria-label': 'Notifications' });
  const menu = h('details', { class: 'notify-menu' }, summary, list);
  const save = async (change, said) => {
    try {
      const saved = await app.api.put(`rooms/${room.id}/notifications`, change);
      room.notification_level = saved.level;
      room.muted_until = saved.muted_until;
      const known = app.sidebar.rooms.get(room.id);
      if (known) Object.assign(known, { notification_level: saved.level, muted_until: saved.muted_until });
      app.sidebar.render();
      menu.open = false;
      draw();
      toast(said);
    } catch (e) { toast(e.message, 'error'); }
  };
  const draw = () => {
    const muted = isFuture(room.muted_until);
    summary.textContent = muted ? '🔕' : '🔔';
    const level = room.notification_level || 'default';
    const fallback = LEVELS.find(([l]) => l === app.notifier.prefs.default_level)?.[1] ?? 'Mentions';
    const option = (value, label) => h('button', {
      type: 'button', role: 'menuitemradio', 'aria-checked': String(level === value),
      onclick: () => save({ level: value }, `Notifications: ${label.toLowerCase()}`),
    }, label);
    fill(list,
      h('p', { class: 'menu-heading' }, 'Notify me of'),
      ...LEVELS.map(([value, label]) => option(value, label)),
      option('default', `My default (${fallback.toLowerCase()})`),
      h('p', { class: 'menu-heading' }, muted ? `Muted ${untilText(room.muted_until)}` : 'Mute'),
      muted
        ? h('button', { type: 'button', onclick: () => save({ muted_until: null }, 'Unmuted') }, 'Unmute')
        : [
          ['For 1 hour', HOUR], ['For 8 hours', 8 * HOUR], ['For 1 day', 24 * HOUR],
        ].map(([label, ms]) => h('button', { type: 'button', onclick: () => save({ muted_until: later(ms) }, `Muted ${label.toLowerCase()}`) }, label)),
      muted ? null : h('button', { type: 'button', onclick: () => save({ muted_until: FOREVER }, 'Muted until you turn it back on') }, 'Until I turn it back on'));
  };
  draw();
  // A click elsewhere closes it.
  document.addEventListener('click', (e) => { if (menu.open && !menu.contains(e.target)) menu.open = false; });
  return room.my_role ? menu : null;
}

/** The profile's notifications section. */
export function notificationSection(app) {
  const notifier = app.notifier;
  const state = h('p', { class: 'notify-state', role: 'status' });
  const enable = h('button', { type: 'button', class: 'primary' }, 'Enable notifications');
  const showState = () => {
    const permission = notifier.permission;
    enable.hidden = permission === 'granted' && notifier.mode !== null;
    state.textContent = {
      unsupported: 'This browser cannot show notifications here (they need https).',
      denied: 'Notifications are blocked for this site. Allow them in the browser\'s site settings.',
      default: 'Notifications are off in this browser.',
      granted: notifier.mode === 'push'
        ? 'On: this browser is notified even with Veza closed.'
        : notifier.mode === 'tab'
          ? 'On while a Veza tab is open (this browser\'s push service cannot be reached).'
          : 'Allowed; setting up…',
    }[permission];
  };
  enable.addEventListener('click', async () => {
    enable.disabled = true;
    try {
      await notifier.enable();
      toast('Notifications are on');
    } catch (e) { toast(e.message, 'error'); }
    enable.disabled = false;
    showState();
  });
  showState();

  const level = h('fieldset', { class: 'levels' }, h('legend', {}, 'By default, notify me of'),
    LEVELS.map(([value, label]) => h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'default_level', value, checked: notifier.prefs.default_level === value }), ` ${label}`)));
  const dndState = h('p', { class: 'hint', role: 'status' });
  const dnd = h('select', { name: 'dnd', 'aria-label': 'Do not disturb' },
    h('option', { value: '' }, 'Off'),
    h('option', { value: 'hour' }, 'For 1 hour'),
    h('option', { value: 'morning' }, 'Until tomorrow 8:00'),
    h('option', { value: 'forever' }, 'Until I turn it off'));
  const showDnd = () => {
    const until = notifier.prefs.dnd_until;
    dndState.textContent = isFuture(until) ? `Do not disturb is on ${untilText(until)}.` : 'Do not disturb is off.';
  };
  showDnd();
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', {
    class: 'stack',
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      const change = { default_level: form.querySelector('input[name="default_level"]:checked')?.value ?? 'mentions' };
      const choice = dnd.value;
      if (choice === '' && isFuture(notifier.prefs.dnd_until)) change.dnd_until = null;
      if (choice === 'hour') change.dnd_until = later(HOUR);
      if (choice === 'morning') change.dnd_until = tomorrowMorning();
      if (choice === 'forever') change.dnd_until = FOREVER;
      try {
        notifier.prefs = await app.api.put('users/me/notifications', change);
        dnd.value = '';
        showDnd();
        toast('Notification settings saved');
      } catch (err) { error.textContent = err.message; }
    },
  },
  h('h2', {}, 'Notifications'), state, enable, level,
  h('label', { class: 'field' }, 'Do not disturb', dnd), dndState,
  h('p', { class: 'hint' }, 'A room can have its own level, or be muted, from the bell in its header.'),
  h('button', { type: 'submit', class: 'primary' }, 'Save notification settings'), error);
  // Preferences may still be loading when the page opens.
  app.api.get('users/me/notifications').then((prefs) => {
    notifier.prefs = prefs;
    for (const input of level.querySelectorAll('input')) input.checked = input.value === prefs.default_level;
    showDnd();
  }).catch(() => {});
  return form;
}
