import { describe, expect, it } from "vitest";
import { findPassage, findTerms, passageRanges, splitByRanges } from "./highlight";

describe("supporting passage highlight", () => {
  const text = "1. Sont passibles d'un emprisonnement de trois ans,\n  la confiscation de l’objet de fraude.";

  it("finds the passage despite spacing, case and apostrophes", () => {
    const ranges = findPassage(text, "la confiscation de l'objet");
    expect(ranges).toHaveLength(1);
    expect(text.slice(ranges[0].start, ranges[0].end)).toBe("la confiscation de l’objet");
  });

  it("follows the parts of a passage cut by an ellipsis", () => {
    const ranges = findPassage(text, "Sont passibles … la confiscation");
    expect(ranges.map((r) => text.slice(r.start, r.end))).toEqual(["Sont passibles", "la confiscation"]);
  });

  it("finds nothing for a passage that is not there", () => {
    expect(findPassage(text, "amende de 1 500 euros")).toEqual([]);
  });
});

describe("search term highlight", () => {
  it("marks query words without accents or case, whole words only", () => {
    const excerpt = "Les marchandises prohibées à l'entrepôt ; PROHIBITION absolue.";
    const pieces = splitByRanges(excerpt, findTerms(excerpt, "marchandise prohibee"));
    expect(pieces.filter((p) => p.marked).map((p) => p.text)).toEqual(["marchandises", "prohibées"]);
  });

  it("ignores stop words and keeps article numbers", () => {
    const excerpt = "Voir l'article 414 du code.";
    const marked = splitByRanges(excerpt, findTerms(excerpt, "article 414 du"))
      .filter((p) => p.marked)
      .map((p) => p.text);
    expect(marked).toEqual(["414"]);
  });
});

describe("extract passage highlight by UTF-16 range", () => {
  // Accents, « », a narrow no-break space (U+202F) and a character outside the BMP: UTF-8 byte
  // offsets and UTF-16 offsets differ from the first accent on.
  const text =
    "I. – Sont réputés importés en contrebande :\n" +
    "1° les marchandises prohibées à l’entrée ;\n" +
    "2° les objets dits « de fraude »\u202f: tabacs 🚬 et alcools déclarés sous une fausse espèce.";
  const passage = "2° les objets dits « de fraude »\u202f: tabacs 🚬 et alcools déclarés sous une fausse espèce.";
  const start = text.indexOf("2° les objets");
  const utf16: [number, number] = [start, start + passage.length];
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  const byteRange: [number, number] = [bytes(text.slice(0, start)), bytes(text.slice(0, start)) + bytes(passage)];

  it("highlights exactly the passage the range covers", () => {
    const ranges = passageRanges(text, utf16, passage);
    expect(ranges).toEqual([{ start: utf16[0], end: utf16[1] }]);
    const marked = splitByRanges(text, ranges).filter((p) => p.marked).map((p) => p.text);
    expect(marked).toEqual(["2° les objets dits « de fraude »\u202f: tabacs 🚬 et alcools déclarés sous une fausse espèce."]);
  });

  it("highlights a list item alone, not the sentence that leads the list", () => {
    const item = "1° les marchandises prohibées à l’entrée ;";
    const at = text.indexOf(item);
    const pieces = splitByRanges(text, passageRanges(text, [at, at + item.length], item));
    expect(pieces.map((p) => p.marked)).toEqual([false, true, false]);
    expect(pieces[1].text).toBe("1° les marchandises prohibées à l’entrée ;");
    expect(pieces[0].text).toBe("I. – Sont réputés importés en contrebande :\n");
  });

  it("finds the passage by its words when given a byte range by mistake", () => {
    // The byte range runs past the UTF-16 one: sliced as is it would cut the wrong text.
    expect(byteRange[0]).toBeGreaterThan(utf16[0]);
    expect(text.slice(byteRange[0], byteRange[1])).not.toBe(passage);
    const marked = splitByRanges(text, passageRanges(text, byteRange, passage)).filter((p) => p.marked);
    expect(marked.map((p) => p.text)).toEqual([passage]);
  });

  it("ignores a range outside the text and highlights nothing without a passage", () => {
    expect(passageRanges(text, [10, text.length + 5], undefined)).toEqual([]);
    expect(passageRanges(text, undefined, undefined)).toEqual([]);
  });
});
