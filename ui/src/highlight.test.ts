import { describe, expect, it } from "vitest";
import { findPassage, findTerms, splitByRanges } from "./highlight";

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
