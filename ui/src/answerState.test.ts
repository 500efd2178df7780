import { describe, expect, it } from "vitest";
import {
  applyEvent,
  citationCheck,
  extractOf,
  isLowConfidence,
  isRunning,
  missingArticlesOf,
  requestStop,
  segmentAnswer,
  startAnswer,
  synthesisOf,
} from "./answerState";
import type { Answer, Citation, ExtractPassage } from "./types";

const citation = (article: string, written_as = `[art. ${article}]`): Citation => ({
  id: `CD-art-${article}`,
  article,
  code: "Code des douanes",
  path: [],
  edition: "2025-07-13",
  supporting_passage: "passage",
  valid: true,
  quotes: [],
  written_as,
  now_at: [],
});

const answer = (over: Partial<Answer> = {}): Answer => ({
  question: "q",
  answer: "Texte final [art. 414].",
  abstained: false,
  abstention: null,
  citations: [citation("414")],
  rejected_citations: [],
  sources: ["CD-art-414"],
  trimmed_sources: [],
  closest: [],
  edition_note: "Code des douanes en vigueur",
  date: null,
  model: { name: "smollm2", sha256: "x" },
  corpus: { hash: "h", editions: [] },
  timings: { retrieval_ms: 1, first_token_ms: 2, total_ms: 3 },
  stop: "end_of_turn",
  ...over,
});

describe("the streamed answer", () => {
  it("accumulates tokens in order and is running until done", () => {
    let s = startAnswer("Quelle amende ?");
    expect(isRunning(s)).toBe(true);
    s = applyEvent(s, { type: "sources", sources: [], withheld: [] });
    s = applyEvent(s, { type: "token", text: "La " });
    s = applyEvent(s, { type: "token", text: "contrebande" });
    expect(s.text).toBe("La contrebande");
    expect(s.status).toBe("streaming");
    s = applyEvent(s, { type: "done", answer: answer() });
    expect(s.status).toBe("done");
    expect(isRunning(s)).toBe(false);
    // The final text replaces the streamed one (rejected citations removed by the engine).
    expect(s.text).toBe("Texte final [art. 414].");
    expect(s.citations).toHaveLength(1);
  });

  it("marks an answer stopped by the agent", () => {
    let s = requestStop(applyEvent(startAnswer("q"), { type: "token", text: "a" }));
    s = applyEvent(s, { type: "done", answer: answer({ stop: "cancelled" }) });
    expect(s.status).toBe("stopped");
  });

  it("shows the engine's French error", () => {
    const s = applyEvent(startAnswer("q"), { type: "error", message_fr: "La question est vide.", message: "empty" });
    expect(s.status).toBe("error");
    expect(s.error).toBe("La question est vide.");
    expect(isRunning(s)).toBe(false);
  });
});

const passage60: ExtractPassage = {
  id: "CD-art-60",
  article: "60",
  code: "Code des douanes",
  label: "art. 60",
  edition: "2025-07-13",
  location: "I, 2°",
  text: "2° les marchandises prohibées ;",
  lead: "Sont soumis à la visite :",
  range: [120, 153],
  utf16_range: [118, 148],
  score: 0.82,
};

const UNUSABLE = "Le modèle n'a pas produit de synthèse exploitable : reportez-vous aux passages du code ci-dessus.";

describe("the extract and the synthesis verdict", () => {
  it("keeps the extract sent first and shows the engine's sentence for an unusable synthesis", () => {
    let s = startAnswer("Que prévoit l'article 60 ?");
    s = applyEvent(s, { type: "extract", passages: [passage60] });
    // The extract arrives before the sources and before any token.
    expect(s.extract).toEqual([passage60]);
    expect(s.status).toBe("waiting");
    s = applyEvent(s, { type: "sources", sources: [], withheld: [] });
    s = applyEvent(s, { type: "token", text: "Article 60 : Article 60 : " });
    s = applyEvent(s, { type: "token", text: "Article 60 :" });
    expect(s.text).toBe("Article 60 : Article 60 : Article 60 :");
    expect(s.extract).toEqual([passage60]);
    s = applyEvent(s, {
      type: "done",
      answer: answer({
        answer: UNUSABLE,
        citations: [],
        extract: [passage60],
        synthesis: { usable: false, issue: "repetition" },
      }),
    });
    expect(s.status).toBe("done");
    // The streamed repetition is gone: what is shown is the engine's plain sentence.
    expect(s.text).toBe(UNUSABLE);
    expect(s.text).not.toContain("Article 60 :");
    expect(s.extract).toEqual([passage60]);
    expect(synthesisOf(s.answer)).toEqual({ usable: false, issue: "repetition" });
  });

  it("knows the confidence from the extract, before the final answer", () => {
    let s = applyEvent(startAnswer("q"), { type: "extract", passages: [passage60], confidence: "low" });
    expect(s.confidence).toBe("low");
    expect(isLowConfidence(s.answer, s.confidence)).toBe(true);
    s = applyEvent(s, { type: "done", answer: answer({ confidence: "low", citations: [] }) });
    expect(isLowConfidence(s.answer, s.confidence)).toBe(true);
    // An abstention is shown as one, not as a low-confidence answer.
    expect(isLowConfidence(answer({ abstained: true, confidence: "low" }))).toBe(false);
    expect(isLowConfidence(answer({ confidence: "high" }), "low")).toBe(false);
  });

  it("takes the final answer's extract over the streamed one", () => {
    const other = { ...passage60, id: "CD-art-61", article: "61", label: "art. 61" };
    let s = applyEvent(startAnswer("q"), { type: "extract", passages: [passage60] });
    s = applyEvent(s, { type: "done", answer: answer({ extract: [other] }) });
    expect(s.extract.map((p) => p.id)).toEqual(["CD-art-61"]);
  });

  it("reads answers stored before the extract as usable, with no extract and no missing article", () => {
    const old = answer();
    expect(extractOf(old)).toEqual([]);
    expect(synthesisOf(old)).toEqual({ usable: true, issue: null });
    expect(missingArticlesOf(old)).toEqual([]);
    expect(synthesisOf(null).usable).toBe(true);
  });
});

describe("the check mark of a citation", () => {
  it("is given only to a valid citation of a relevant passage", () => {
    expect(citationCheck({ ...citation("414"), valid: true, relevant: true })).toBe("verified");
    expect(citationCheck({ ...citation("414"), valid: true, relevant: false })).toBe("off_topic");
    expect(citationCheck({ ...citation("414"), valid: false, relevant: true })).toBe("invalid");
    expect(citationCheck({ ...citation("414"), valid: false, relevant: false })).toBe("invalid");
  });

  it("treats a citation stored before relevance was checked as relevant", () => {
    const old = citation("414");
    expect(old.relevant).toBeUndefined();
    expect(citationCheck(old)).toBe("verified");
  });
});

describe("citation chips in the answer text", () => {
  it("turns checked bracket references into chips and leaves other text alone", () => {
    const segs = segmentAnswer("Selon [art. 414], la peine [voir annexe] est lourde.", [citation("414")]);
    expect(segs.map((s) => s.kind)).toEqual(["text", "citation", "text"]);
    expect(segs[1]).toMatchObject({ kind: "citation", citation: { id: "CD-art-414" } });
    expect(segs[2]).toMatchObject({ text: ", la peine [voir annexe] est lourde." });
  });

  it("matches a reference written differently to its citation by number", () => {
    const segs = segmentAnswer("Voir [article 414].", [citation("414", "[Source 1]")]);
    expect(segs[1]).toMatchObject({ kind: "citation", citation: { article: "414" } });
  });

  it("keeps an unchecked article reference visible but without a citation", () => {
    const segs = segmentAnswer("Voir [art. 999].", []);
    expect(segs[1]).toMatchObject({ kind: "citation", citation: null });
  });

  it("matches a document of the service by its label, however long its file name", () => {
    const note: Citation = {
      ...citation("x"),
      id: "DOC:notes:ab12-0",
      article: "note-de-service-2024-31-bureau-de-roissy-fret.pdf, page 2",
      code: "Document importé",
      label: "doc. note-de-service-2024-31-bureau-de-roissy-fret.pdf, page 2",
      written_as: "(phrase recopiée de la source)",
    };
    const segs = segmentAnswer(
      "Les colis sont retenus [doc. note-de-service-2024-31-bureau-de-roissy-fret.pdf, page 2].",
      [note],
    );
    expect(segs.map((s) => s.kind)).toEqual(["text", "citation", "text"]);
    expect(segs[1]).toMatchObject({ citation: { id: "DOC:notes:ab12-0" } });
  });
});
