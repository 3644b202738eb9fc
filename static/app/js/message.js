// One message as an element: author, time, text, attachments, reactions, actions.

import { h, clock, bytes } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { showAvatar } from './team.js';
import { authorMark } from './integrations.js';

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '👀'];

/**
 * ctx: {api, me, canModerate, inThread, onThread(m), onEdit(m), onDelete(m),
 *       onPin(m), onReact(m, emoji, mine), onRetry(m), onDiscard(m)}
 */
export function renderMessage(ctx, m) {
  const mine = m.author_id === ctx.me.id;
  const pending = m._state === 'pending' || m._state === 'failed';
  const li = h('li', {
    class: `message${mine ? ' mine' : ''}${pending ? ` ${m._state}` : ''}${m.is_pinned ? ' pinned' : ''}`,
    dataset: { id: m.id ?? '', key: m._key ?? '', author: m.author_id, at: m.created_at },
    tabindex: '-1',
  });
  li.append(
    avatar(ctx.api, m),
    h('div', { class: 'meta' },
      h('span', { class: 'author' }, m.username),
      authorMark(m),
      ' ',
      h('time', { datetime: m.created_at }, clock(m.created_at)),
      m.is_edited ? h('span', { class: 'edited', title: m.edited_at || '' }, ' (edited)') : null,
      m.is_pinned ? h('span', { class: 'pin-badge', title: 'Pinned' }, ' 📌 pinned') : null,
      m._state === 'pending' ? h('span', { class: 'state' }, ' sending…') : null,
    ),
    // A message of files alone carries their names as its text (the server
    // needs some): shown once, on the files.
    namesOnly(m) ? null : h('div', { class: 'content' }, renderMarkdown(m.content, formatting(ctx, m))),
  );
  if (m.attachments?.length) {
    li.append(h('div', { class: 'attachments' }, m.attachments.map((f) => attachment(ctx.api, f))));
  }
  if (m._state === 'failed') {
    li.append(h('div', { class: 'failed-note' }, 'Not sent. ',
      h('button', { type: 'button', class: 'link', onclick: () => ctx.onRetry(m) }, 'Retry'), ' ',
      h('button', { type: 'button', class: 'link', onclick: () => ctx.onDiscard(m) }, 'Edit or discard')));
    return li;
  }
  if (pending) return li;
  li.append(reactions(ctx, m));
  if (!ctx.inThread && m.thread_count > 0) {
    li.append(h('button', { type: 'button', class: 'link thread-link', onclick: () => ctx.onThread(m) },
      `${m.thread_count} ${m.thread_count === 1 ? 'reply' : 'replies'}`));
  }
  li.append(actions(ctx, m, mine));
  return li;
}

function namesOnly(m) {
  return !!m.attachments?.length && m.content === m.attachments.map((f) => f.original_filename).join(', ');
}

/** A round badge with the author's initial, its colour chosen by their id. */
function avatar(api, m) {
  const initial = [...(m.username || '?')][0].toUpperCase();
  const badge = h('span', { class: `avatar av-${Math.abs(Number(m.author_id) || 0) % 8}`, 'aria-hidden': 'true' }, initial);
  if (m.avatar_url) showAvatar(api, badge, m.avatar_url, m.username);
  return badge;
}

/** What the formatting may link: the users the server resolved as mentions,
 * and the rooms the reader can see. */
function formatting(ctx, m) {
  const mentioned = new Set((m.mentioned_users || []).map((u) => u.username.toLowerCase()));
  return {
    mention: (name) => mentioned.has(name.toLowerCase()),
    room: (name) => ctx.roomPath?.(name),
  };
}

function reactions(ctx, m) {
  const box = h('div', { class: 'reactions' });
  for (const [emoji, summary] of Object.entries(m.reactions || {})) {
    const users = summary.users || [];
    const reacted = users.some((u) => u.user_id === ctx.me.id);
    const names = users.map((u) => u.username).join(', ');
    box.append(h('button', {
      type: 'button',
      class: 'reaction',
      'aria-pressed': reacted ? 'true' : 'false',
      'aria-label': `${emoji} ${summary.count}${names ? `: ${names}` : ''}`,
      title: names,
      onclick: () => ctx.onReact(m, emoji, reacted),
    }, `${emoji} ${summary.count}`));
  }
  return box;
}

function actions(ctx, m, mine) {
  const bar = h('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Message actions' });
  const palette = h('div', {
    class: 'palette', hidden: true, role: 'group', 'aria-label': 'Reactions',
    onkeydown: (e) => { if (e.key === 'Escape') { palette.hidden = true; opener.focus(); } },
  },
    QUICK_REACTIONS.map((emoji) => h('button', {
      type: 'button',
      'aria-label': `React with ${emoji}`,
      onclick: () => {
        palette.hidden = true;
        const mine = (m.reactions?.[emoji]?.users || []).some((u) => u.user_id === ctx.me.id);
        ctx.onReact(m, emoji, mine);
      },
    }, emoji)));
  const opener = h('button', {
    type: 'button', class: 'act', 'aria-label': 'Add reaction', title: 'Add reaction', 'aria-expanded': 'false',
    onclick: () => {
      palette.hidden = !palette.hidden;
      opener.setAttribute('aria-expanded', String(!palette.hidden));
      if (!palette.hidden) palette.querySelector('button').focus();
    },
  }, '☺');
  bar.append(opener);
  if (!ctx.inThread) {
    bar.append(h('button', {
      type: 'button', class: 'act', 'aria-label': 'Reply in thread', title: 'Reply in thread',
      onclick: () => ctx.onThread(m),
    }, '↪'));
  }
  if (mine) {
    bar.append(h('button', {
      type: 'button', class: 'act', 'aria-label': 'Edit message', title: 'Edit',
      onclick: () => ctx.onEdit(m),
    }, '✎'));
  }
  if (mine || ctx.canModerate) {
    bar.append(h('button', {
      type: 'button', class: 'act', 'aria-label': 'Delete message', title: 'Delete',
      onclick: () => ctx.onDelete(m),
    }, '🗑'));
  }
  if (ctx.canModerate && m.room_id && !m.parent_message_id) {
    bar.append(h('button', {
      type: 'button', class: 'act', 'aria-label': m.is_pinned ? 'Unpin message' : 'Pin message',
      title: m.is_pinned ? 'Unpin' : 'Pin',
      onclick: () => ctx.onPin(m),
    }, '📌'));
  }
  bar.append(palette);
  return bar;
}

/** An attached file: a thumbnail for images, a player for audio and video. */
export function attachment(api, f) {
  const download = api.media(f.url || `/api/v1/files/${f.id}/download`);
  const label = `${f.original_filename} (${bytes(f.size)})`;
  if (f.mime_type?.startsWith('image/') && f.thumbnail_status !== 'none' && f.thumbnail_status !== 'failed') {
    const img = h('img', {
      class: 'thumb',
      alt: f.original_filename,
      loading: 'lazy',
      // The thumbnail's box, known before it loads: the list does not move when
      // it arrives (the server knows an image's size once its thumbnail is made).
      ...boxOf(f),
    });
    thumbnail(api, img, f, 0);
    return h('a', { class: 'file image', href: download, target: '_blank', rel: 'noopener', title: label }, img);
  }
  if (f.mime_type?.startsWith('image/')) {
    return h('a', { class: 'file image', href: download, target: '_blank', rel: 'noopener' },
      h('img', { class: 'thumb', alt: f.original_filename, src: download, loading: 'lazy' }));
  }
  if (f.mime_type?.startsWith('audio/')) {
    return h('figure', { class: 'file media' },
      h('audio', { controls: true, preload: 'none', src: download, 'aria-label': f.original_filename }),
      h('figcaption', {}, label));
  }
  if (f.mime_type?.startsWith('video/')) {
    return h('figure', { class: 'file media' },
      h('video', { controls: true, preload: 'metadata', src: download, 'aria-label': f.original_filename }),
      h('figcaption', {}, label));
  }
  return h('a', { class: 'file other', href: download, download: f.original_filename }, `📎 ${label}`);
}

/** An image's displayed size within 320 × 240, as `width`/`height` attributes. */
function boxOf(f) {
  if (!(f.width > 0 && f.height > 0)) return {};
  const scale = Math.min(1, 320 / f.width, 240 / f.height);
  return { width: Math.max(1, Math.round(f.width * scale)), height: Math.max(1, Math.round(f.height * scale)) };
}

/** Loads a thumbnail, trying again while the server is still making it. */
function thumbnail(api, img, f, attempt) {
  img.onerror = () => {
    if (attempt >= 30) {
      img.replaceWith(h('span', { class: 'file other' }, `🖼 ${f.original_filename}`));
      return;
    }
    setTimeout(() => thumbnail(api, img, f, attempt + 1), Math.min(4000, 500 * (attempt + 1)));
  };
  const base = f.thumbnail_url || `/api/v1/files/${f.id}/thumbnail`;
  img.src = api.media(attempt ? `${base}?try=${attempt}` : base);
}
