// Message formatting (API.md §18): CommonMark's common forms with GitHub's
// strikethrough, autolinks and fenced code, turned into DOM nodes. Nothing here
// ever parses HTML: text enters the page as text nodes, raw HTML shows as typed,
// links keep to http:, https: and mailto:, and Markdown images are not inlined.

import { h } from './dom.js';

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;
const LINK_REL = 'noopener noreferrer nofollow';
// A bare URL, as GitHub finds them: up to whitespace or '<', trailing
// punctuation left out.
const BARE_URL = /^https?:\/\/[^\s<]*[^\s<.,:;"')\]!?*_~]/i;

/**
 * `text` as nodes. `ctx.mention(name)` says whether `@name` is a user to show as
 * a mention; `ctx.room(name)` answers the path of a room the reader can see.
 */
export function renderMarkdown(text, ctx = {}) {
  return blocks(String(text).replace(/\r\n?/g, '\n').split('\n'), ctx);
}

// ---- blocks -------------------------------------------------------------

function blocks(lines, ctx) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = line.match(/^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/);
    if (fence) {
      const marker = fence[1];
      const code = [];
      i += 1;
      while (i < lines.length && !lines[i].trimStart().startsWith(marker)) {
        code.push(lines[i]);
        i += 1;
      }
      i += 1; // the closing fence (or the end)
      const attrs = fence[2] ? { class: `language-${fence[2].replace(/[^\w+-]/g, '')}` } : {};
      out.push(h('pre', {}, h('code', attrs, code.join('\n'))));
      continue;
    }
    if (!line.trim()) {
      i += 1;
      continue;
    }
    const heading = line.match(/^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/);
    if (heading) {
      out.push(h(`h${heading[1].length + 2 > 6 ? 6 : heading[1].length + 2}`, { class: 'md-heading' },
        inline(heading[2], ctx)));
      i += 1;
      continue;
    }
    if (/^ {0,3}([-*_])( *\1){2,} *$/.test(line)) {
      out.push(h('hr'));
      i += 1;
      continue;
    }
    if (/^ {0,3}>/.test(line)) {
      const quoted = [];
      while (i < lines.length && /^ {0,3}>/.test(lines[i])) {
        quoted.push(lines[i].replace(/^ {0,3}> ?/, ''));
        i += 1;
      }
      out.push(h('blockquote', {}, blocks(quoted, ctx)));
      continue;
    }
    const item = listItem(line);
    if (item) {
      const list = h(item.ordered ? 'ol' : 'ul', item.ordered && item.start !== 1 ? { start: item.start } : {});
      while (i < lines.length) {
        const next = listItem(lines[i]);
        if (!next || next.ordered !== item.ordered) break;
        const body = [next.text];
        i += 1;
        // Lines indented under the item continue it.
        while (i < lines.length && lines[i].trim() && /^ {2,}/.test(lines[i]) && !listItem(lines[i])) {
          body.push(lines[i].trim());
          i += 1;
        }
        list.append(h('li', {}, lines_(body, ctx)));
      }
      out.push(list);
      continue;
    }
    // A paragraph: up to a blank line or the start of another block.
    const para = [];
    while (i < lines.length && lines[i].trim() && !startsBlock(lines[i])) {
      para.push(lines[i]);
      i += 1;
    }
    if (!para.length) {
      para.push(lines[i]);
      i += 1;
    }
    out.push(h('p', {}, lines_(para, ctx)));
  }
  return out;
}

function listItem(line) {
  const bullet = line.match(/^ {0,3}[-*+]\s+(.*)$/);
  if (bullet) return { ordered: false, text: bullet[1] };
  const number = line.match(/^ {0,3}(\d{1,9})[.)]\s+(.*)$/);
  if (number) return { ordered: true, start: Number(number[1]), text: number[2] };
  return null;
}

function startsBlock(line) {
  return /^ {0,3}(`{3,}|~{3,}|#{1,6}\s|>)/.test(line) || !!listItem(line);
}

/** Lines of one paragraph: a line break between them, as chats show them (a
 * newline, shown by the message's `pre-wrap`, and kept when copied). */
function lines_(lines, ctx) {
  const out = [];
  lines.forEach((line, n) => {
    if (n) out.push('\n');
    out.push(...inline(line.replace(/\s+$/, ''), ctx));
  });
  return out;
}

// ---- inlines ------------------------------------------------------------

const PAIRS = [
  ['**', 'strong'],
  ['__', 'strong'],
  ['~~', 'del'],
  ['*', 'em'],
  ['_', 'em'],
  ['~', 'del'],
];

/** One line of text as inline nodes. */
function inline(text, ctx, depth = 0) {
  const out = [];
  let plain = '';
  const flush = () => {
    if (plain) out.push(...words(plain, ctx));
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const rest = text.slice(i);
    // A backslash makes the next punctuation plain.
    if (c === '\\' && /^[!-/:-@[-`{-~]$/.test(text[i + 1] || '')) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      const ticks = rest.match(/^`+/)[0];
      const end = text.indexOf(ticks, i + ticks.length);
      if (end > 0) {
        flush();
        const code = text.slice(i + ticks.length, end);
        out.push(h('code', {}, code.length > 2 && code.startsWith(' ') && code.endsWith(' ') ? code.slice(1, -1) : code));
        i = end + ticks.length;
        continue;
      }
      plain += ticks;
      i += ticks.length;
      continue;
    }
    if (c === '<') {
      const auto = rest.match(/^<((?:https?:\/\/|mailto:)[^\s<>]+)>/i);
      if (auto) {
        flush();
        out.push(link(auto[1], [auto[1]]));
        i += auto[0].length;
        continue;
      }
    }
    if ((c === '[' || (c === '!' && text[i + 1] === '[')) && depth < 4) {
      const found = linkAt(text, c === '!' ? i + 1 : i);
      if (found) {
        flush();
        const label = inline(found.label, ctx, depth + 1);
        // Markdown images are not inlined: their text links to where they point.
        out.push(SAFE_LINK.test(found.url) ? link(found.url, label) : h('span', {}, label));
        i = found.end;
        continue;
      }
    }
    if ('*_~'.includes(c) && depth < 4) {
      const pair = PAIRS.find(([marker]) => rest.startsWith(marker));
      const span = pair && emphasis(text, i, pair[0]);
      if (span) {
        flush();
        out.push(h(pair[1], {}, inline(span.inner, ctx, depth + 1)));
        i = span.end;
        continue;
      }
    }
    plain += c;
    i += 1;
  }
  flush();
  return out;
}

/** `[label](url)` starting at `at`, if there is one. */
function linkAt(text, at) {
  let depth = 0;
  let j = at;
  for (; j < text.length; j += 1) {
    if (text[j] === '\\') j += 1;
    else if (text[j] === '[') depth += 1;
    else if (text[j] === ']' && --depth === 0) break;
  }
  if (j >= text.length || text[j + 1] !== '(') return null;
  const close = text.indexOf(')', j + 2);
  if (close < 0) return null;
  const target = text.slice(j + 2, close).trim().split(/\s+/)[0].replace(/^<(.*)>$/, '$1');
  return { label: text.slice(at + 1, j), url: target, end: close + 1 };
}

/** A run wrapped in `marker` from `at`: `inner` and where it ends. */
function emphasis(text, at, marker) {
  const open = at + marker.length;
  const after = text[open];
  if (!after || /\s/.test(after) || after === marker[0]) return null;
  // `_` inside a word (snake_case) is no emphasis.
  if (marker[0] === '_' && /\w/.test(text[at - 1] || '')) return null;
  let from = open + 1;
  for (;;) {
    const close = text.indexOf(marker, from);
    if (close < 0) return null;
    const before = text[close - 1];
    const next = text[close + marker.length] || '';
    const flanks = !/\s/.test(before) && next !== marker[0];
    const intraword = marker[0] === '_' && /\w/.test(next);
    if (flanks && !intraword) return { inner: text.slice(open, close), end: close + marker.length };
    from = close + 1;
  }
}

function link(url, label) {
  return h('a', { href: url, rel: LINK_REL, target: '_blank' }, label);
}

/** Plain text with bare URLs, mentions and room names picked out. */
function words(text, ctx) {
  const out = [];
  let plain = '';
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const boundary = i === 0 || /[\s(]/.test(text[i - 1]);
    const url = boundary && rest.match(BARE_URL);
    if (url) {
      if (plain) out.push(plain);
      plain = '';
      out.push(link(url[0], [url[0]]));
      i += url[0].length;
      continue;
    }
    const mention = boundary && rest.match(/^@([A-Za-z0-9_.-]*[A-Za-z0-9_])/);
    if (mention && ctx.mention?.(mention[1])) {
      if (plain) out.push(plain);
      plain = '';
      out.push(h('span', { class: 'mention' }, mention[0]));
      i += mention[0].length;
      continue;
    }
    const room = boundary && rest.match(/^#([\w-]+)/);
    const path = room && ctx.room?.(room[1]);
    if (path) {
      if (plain) out.push(plain);
      plain = '';
      out.push(h('a', { href: path, class: 'room-link', 'data-link': true }, room[0]));
      i += room[0].length;
      continue;
    }
    plain += text[i];
    i += 1;
  }
  if (plain) out.push(plain);
  return out;
}
