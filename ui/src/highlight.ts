// Finding what to highlight: the supporting passage of a citation inside the article text, and
// the words of a query inside a search excerpt. Accents, case, spacing and apostrophes are
// ignored, as the engine does when it checks a quotation.

export interface Range {
  start: number;
  end: number;
}

/** Folds one character: lower case, no accent, one kind of apostrophe. */
function foldChar(c: string): string {
  const lower = c.toLowerCase();
  if (lower === "\u2019" || lower === "\u02bc") return "'";
  return lower.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
}

/** The folded text with, for each folded character, its index in the original. */
function foldWithMap(text: string): { folded: string; map: number[] } {
  let folded = "";
  const map: number[] = [];
  let previousSpace = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (/\s/.test(c)) {
      if (previousSpace) continue;
      previousSpace = true;
      folded += " ";
      map.push(i);
      continue;
    }
    previousSpace = false;
    for (const f of foldChar(c)) {
      folded += f;
      map.push(i);
    }
  }
  return { folded, map };
}

/** Where `passage` lies in `text` (ellipses in the passage split it into parts). */
export function findPassage(text: string, passage: string): Range[] {
  const { folded, map } = foldWithMap(text);
  const parts = passage
    .split(/…|\.\.\./)
    .map((p) => foldWithMap(p.trim()).folded.trim())
    .filter((p) => p.length >= 3);
  const ranges: Range[] = [];
  let from = 0;
  for (const part of parts) {
    const at = folded.indexOf(part, from);
    if (at < 0) continue;
    const end = at + part.length - 1;
    ranges.push({ start: map[at], end: map[end] + 1 });
    from = at + part.length;
  }
  return ranges;
}

const STOP_WORDS = new Set([
  "le", "la", "les", "de", "des", "du", "un", "une", "et", "ou", "en", "au", "aux", "a", "l", "d",
  "que", "qui", "quoi", "est", "sont", "pour", "par", "sur", "dans", "il", "elle", "ce", "se",
  "quel", "quelle", "quels", "quelles", "art", "article",
]);

/** Where the words of `query` (3 letters or more, not stop words) appear in `text`. */
export function findTerms(text: string, query: string): Range[] {
  const { folded, map } = foldWithMap(text);
  const terms = foldWithMap(query)
    .folded.split(/[^a-z0-9-]+/)
    .filter((t) => (t.length >= 3 || /^\d+$/.test(t)) && !STOP_WORDS.has(t));
  const ranges: Range[] = [];
  for (const term of terms) {
    let at = folded.indexOf(term);
    while (at >= 0) {
      const before = at === 0 ? " " : folded[at - 1];
      if (!/[a-z0-9]/.test(before)) {
        // Extend to the end of the word so a stem highlights the whole word.
        let end = at + term.length;
        while (end < folded.length && /[a-z0-9]/.test(folded[end])) end++;
        ranges.push({ start: map[at], end: map[end - 1] + 1 });
      }
      at = folded.indexOf(term, at + term.length);
    }
  }
  return mergeRanges(ranges);
}

export function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** Cuts text into plain and highlighted pieces. */
export function splitByRanges(text: string, ranges: Range[]): { text: string; marked: boolean }[] {
  const out: { text: string; marked: boolean }[] = [];
  let last = 0;
  for (const r of mergeRanges(ranges)) {
    if (r.start > last) out.push({ text: text.slice(last, r.start), marked: false });
    out.push({ text: text.slice(r.start, r.end), marked: true });
    last = r.end;
  }
  if (last < text.length) out.push({ text: text.slice(last), marked: false });
  return out;
}

/** Collapses runs of white space, for comparing a passage with the text it was taken from. */
export function normaliseSpace(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/**
 * Where to highlight a passage given by the engine as a UTF-16 range of the article text (the
 * unit JavaScript strings are indexed in). The range is trusted only when it lies in the text
 * and covers the passage's own words; otherwise — a stale range, or one counted in bytes — the
 * passage is looked for in the text, as for a citation.
 */
export function passageRanges(text: string, range: [number, number] | undefined, passage: string | undefined): Range[] {
  if (range) {
    const [start, end] = range;
    const inText = Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= text.length;
    if (inText && (passage === undefined || normaliseSpace(text.slice(start, end)) === normaliseSpace(passage))) {
      return [{ start, end }];
    }
  }
  return passage ? findPassage(text, passage) : [];
}
