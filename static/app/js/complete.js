// Completion in the composer: `@` a person, `#` a room, `:` an emoji. A list
// under the caret's word; Up/Down choose, Enter or Tab take, Escape closes.

import { h, fill } from './dom.js';

/** The common shortcodes (GitHub's and Slack's names). */
export const EMOJI = {
  '+1': '👍', thumbsup: '👍', '-1': '👎', heart: '❤️', joy: '😂', smile: '😄', slightly_smiling_face: '🙂',
  wink: '😉', tada: '🎉', eyes: '👀', rocket: '🚀', fire: '🔥', thinking: '🤔', wave: '👋', ok_hand: '👌',
  pray: '🙏', clap: '👏', 100: '💯', white_check_mark: '✅', x: '❌', warning: '⚠️', sob: '😭', sweat_smile: '😅',
  party: '🥳', coffee: '☕', bug: '🐛', sparkles: '✨', star: '⭐', muscle: '💪', see_no_evil: '🙈',
};

const WORD = /(^|\s)([@#:])([\p{L}\p{N}_.+-]{1,40})$/u;

export class Completer {
  /** `sources`: {people(q) → Promise<[name]>, rooms(q) → [name]}. */
  constructor(input, sources) {
    this.input = input;
    this.sources = sources;
    this.options = [];
    this.selected = 0;
    this.list = h('ul', { class: 'completions', role: 'listbox', id: `${input.id}-completions`, hidden: true });
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', this.list.id);
    input.addEventListener('input', () => this.update());
    input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
  }

  get open() { return !this.list.hidden; }

  /** The word being completed, before the caret. */
  word() {
    const before = this.input.value.slice(0, this.input.selectionStart);
    const m = before.match(WORD);
    if (!m) return null;
    const [, , sigil, text] = m;
    if (sigil === ':' && text.length < 2) return null;
    return { sigil, text, start: before.length - text.length - 1 };
  }

  async update() {
    const word = this.word();
    if (!word) { this.close(); return; }
    const q = word.text.toLowerCase();
    let options;
    if (word.sigil === '@') {
      const asked = this.asked = word.text;
      const names = await this.sources.people(word.text).catch(() => []);
      if (asked !== this.asked) return; // a later keystroke asked again
      options = names.map((n) => ({ label: `@${n}`, insert: `@${n} ` }));
    } else if (word.sigil === '#') {
      options = this.sources.rooms(q).map((n) => ({ label: `#${n}`, insert: `#${n} ` }));
    } else {
      options = Object.entries(EMOJI).filter(([name]) => name.startsWith(q))
        .map(([name, emoji]) => ({ label: `${emoji} :${name}:`, insert: `${emoji} ` }));
    }
    this.show(options.slice(0, 8), word);
  }

  show(options, word) {
    this.options = options;
    this.word_ = word;
    this.selected = 0;
    if (!options.length) { this.close(); return; }
    fill(this.list, options.map((o, i) => h('li', {
      role: 'option', id: `${this.list.id}-${i}`, 'aria-selected': i === 0 ? 'true' : 'false',
      onmousedown: (e) => { e.preventDefault(); this.selected = i; this.take(); },
    }, o.label)));
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.input.setAttribute('aria-activedescendant', `${this.list.id}-0`);
  }

  close() {
    this.list.hidden = true;
    this.options = [];
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }

  /** Handles a key while the list is open; true when it was the list's. */
  key(e) {
    if (!this.open) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const step = e.key === 'ArrowDown' ? 1 : -1;
      this.selected = (this.selected + step + this.options.length) % this.options.length;
      [...this.list.children].forEach((li, i) => li.setAttribute('aria-selected', i === this.selected ? 'true' : 'false'));
      this.input.setAttribute('aria-activedescendant', `${this.list.id}-${this.selected}`);
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      this.take();
    } else if (e.key === 'Escape') {
      this.close();
    } else {
      return false;
    }
    e.preventDefault();
    return true;
  }

  take() {
    const option = this.options[this.selected];
    const word = this.word_;
    if (!option || !word) return;
    const value = this.input.value;
    const end = this.input.selectionStart;
    this.input.value = value.slice(0, word.start) + option.insert + value.slice(end);
    const caret = word.start + option.insert.length;
    this.input.setSelectionRange(caret, caret);
    this.close();
    this.input.dispatchEvent(new Event('input'));
  }
}
