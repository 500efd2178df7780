// The answer and the article panel as rendered in the page (jsdom), without Tauri: the article
// command is mocked.

import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Answer, ArticleView, Citation, ExtractPassage } from "../types";
import type { OpenArticle } from "../App";

const ARTICLE_TEXT =
  "Sont passibles d'un emprisonnement de trois ans et de la confiscation de l’objet de fraude :\n" +
  "1° les faits de contrebande « par terre » ;\n" +
  "2° les importations ou exportations sans déclaration de marchandises prohibées.";
const ITEM = "2° les importations ou exportations sans déclaration de marchandises prohibées.";
const ITEM_AT = ARTICLE_TEXT.indexOf(ITEM);

vi.mock("../api", () => ({
  errorMessage: (e: unknown) => String(e),
  api: {
    article: vi.fn(
      async (id: string): Promise<ArticleView> => ({
        id,
        article: "414",
        code: "Code des douanes",
        code_short: "CD",
        path: [],
        text: ARTICLE_TEXT,
        edition: "2025-07-13",
        in_force: true,
        status: "VIGUEUR",
        credit: "Légifrance",
        reference: "Code des douanes, art. 414",
        now_at: [],
      }),
    ),
    articleHistory: vi.fn(),
  },
}));

const { AnswerBlock } = await import("./AnswerBlock");
const { ArticlePanel } = await import("./ArticlePanel");

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const passage: ExtractPassage = {
  id: "CD-art-414",
  article: "414",
  code: "Code des douanes",
  label: "art. 414",
  edition: "2025-07-13",
  location: "2°",
  text: ITEM,
  lead: "Sont passibles d'un emprisonnement de trois ans et de la confiscation de l’objet de fraude :",
  range: [0, 0],
  utf16_range: [ITEM_AT, ITEM_AT + ITEM.length],
  score: 0.9,
};

const citation = (over: Partial<Citation> = {}): Citation => ({
  id: "CD-art-414",
  article: "414",
  code: "Code des douanes",
  path: [],
  edition: "2025-07-13",
  supporting_passage: ITEM,
  valid: true,
  relevant: true,
  quotes: [],
  written_as: "[art. 414]",
  now_at: [],
  ...over,
});

const answer = (over: Partial<Answer> = {}): Answer => ({
  question: "Que prévoit l'article 414 ?",
  answer: "La contrebande est punie [art. 414].",
  abstained: false,
  abstention: null,
  citations: [citation()],
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
  extract: [passage],
  synthesis: { usable: true, issue: null },
  missing_articles: [],
  confidence: "high",
  ...over,
});

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  container = document.createElement("div");
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

function renderAnswer(a: Answer, onOpenArticle: (o: OpenArticle) => void = () => {}) {
  act(() =>
    root.render(
      <AnswerBlock
        extract={a.extract ?? []}
        confidence={a.confidence ?? null}
        text={a.answer}
        citations={a.citations}
        rejected={a.rejected_citations}
        answer={a}
        streaming={false}
        stopped={false}
        onOpenArticle={onOpenArticle}
      />,
    ),
  );
}

const q = (sel: string) => container.querySelector(sel);
const all = (sel: string) => Array.from(container.querySelectorAll(sel));

describe("the answer block", () => {
  it("says first that confidence is low, then the closest passages and articles, with nothing verified", () => {
    renderAnswer(
      answer({
        answer: "Aucune disposition ne répond directement ; voici les plus proches.",
        confidence: "low",
        citations: [],
        synthesis: { usable: false, issue: "no_model" },
        timings: { retrieval_ms: 1, first_token_ms: null, total_ms: 3 },
        stop: null,
        closest: [
          { id: "CD-art-414", article: "414", code: "Code des douanes", path: [], edition: "2025-07-13", excerpt: "…" },
        ],
      }),
    );
    const alert = q("[data-testid=low-confidence]")!;
    expect(alert.className).toContain("fr-alert--warning");
    expect(alert.textContent).toContain("Aucune disposition ne répond directement");
    const extract = q("[data-testid=extract]")!;
    expect(extract.querySelector("h3")?.textContent).toBe("Ce que disent les articles les plus proches");
    expect(alert.compareDocumentPosition(extract) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(q("[data-testid=synthesis]")).toBeNull();
    expect(all(".vg-citation-chip")).toHaveLength(0);
    expect(all(".vg-closest-chip").map((c) => c.textContent)).toEqual(["art. 414 CD"]);
  });

  it("shows no low-confidence alert on a confident answer", () => {
    renderAnswer(answer());
    expect(q("[data-testid=low-confidence]")).toBeNull();
  });

  it("shows what the code says before the model's synthesis", () => {
    renderAnswer(answer());
    const extract = q("[data-testid=extract]")!;
    const synthesis = q("[data-testid=synthesis]")!;
    expect(extract.querySelector("h3")?.textContent).toBe("Ce que dit le code");
    expect(synthesis.querySelector("h3")?.textContent).toBe("Synthèse du modèle (à vérifier)");
    expect(extract.compareDocumentPosition(synthesis) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    const item = q("[data-testid=extract-passage]")!;
    expect(item.tagName).toBe("BUTTON");
    expect(item.querySelector("[data-testid=extract-ref]")?.textContent).toBe("art. 414, 2°");
    expect(item.querySelector("[data-testid=extract-lead]")?.textContent).toBe(passage.lead);
    expect(item.querySelector("[data-testid=extract-text]")?.textContent).toBe(ITEM);
  });

  it("opens the article at the passage when a passage is clicked", () => {
    const opened: OpenArticle[] = [];
    renderAnswer(answer(), (o) => opened.push(o));
    act(() => (q("[data-testid=extract-passage]") as HTMLButtonElement).click());
    expect(opened).toEqual([{ id: "CD-art-414", passage: ITEM, range: passage.utf16_range, location: "2°" }]);
  });

  it("shows the engine's sentence, muted, instead of an unusable synthesis, and no citation", () => {
    const sentence = "Le modèle n'a pas produit de synthèse exploitable.";
    renderAnswer(answer({ answer: sentence, synthesis: { usable: false, issue: "copy" } }));
    const synthesis = q("[data-testid=synthesis]")!;
    expect(synthesis.getAttribute("data-usable")).toBe("false");
    expect(synthesis.textContent).toBe(sentence);
    expect(synthesis.querySelector(".vg-answer-text--muted")).not.toBeNull();
    expect(container.textContent).not.toContain("Synthèse du modèle");
    expect(all(".vg-citations")).toHaveLength(0);
    // The extract is still there, above it.
    expect(all("[data-testid=extract-passage]")).toHaveLength(1);
  });

  it("gives the check mark only to a valid citation of a relevant passage", () => {
    renderAnswer(
      answer({
        answer: "Voir [art. 414], [art. 60] et [art. 38].",
        citations: [
          citation(),
          citation({ id: "CD-art-60", article: "60", written_as: "[art. 60]", relevant: false }),
          citation({ id: "CD-art-38", article: "38", written_as: "[art. 38]", valid: false }),
        ],
      }),
    );
    const chips = all(".vg-citations .vg-citation-chip");
    expect(chips.map((c) => c.textContent)).toEqual([
      "✓ art. 414 CD",
      "art. 60 CD : passage hors sujet",
      "✗ art. 38 CD",
    ]);
    const offTopic = chips[1];
    expect(offTopic.getAttribute("data-check")).toBe("off_topic");
    expect(offTopic.className).toContain("fr-icon-warning-line");
    expect(offTopic.getAttribute("title")).not.toMatch(/vérifié/);
    expect(all("[data-check=verified]").every((c) => c.textContent?.includes("414"))).toBe(true);
  });

  it("says which article numbers the question named do not exist", () => {
    renderAnswer(
      answer({ missing_articles: [{ written: "4144", code: "Code des douanes", nearest: ["art. 414", "art. 414-2"] }] }),
    );
    expect(q("[data-testid=missing-articles]")?.textContent).toBe(
      "L'article 4144 n'existe pas dans les codes chargés (Code des douanes). " +
        "Articles existants les plus proches : art. 414, art. 414-2.",
    );
  });

  it("shows an answer stored before the extract existed as before", () => {
    const old = answer();
    delete old.extract;
    delete old.synthesis;
    delete old.missing_articles;
    old.citations = [{ ...citation(), relevant: undefined }];
    renderAnswer(old);
    expect(q("[data-testid=extract]")).toBeNull();
    expect(q("[data-testid=synthesis]")?.getAttribute("data-usable")).toBe("true");
    expect(q(".vg-citations .vg-citation-chip")?.textContent).toBe("✓ art. 414 CD");
  });
});

describe("the article panel opened at a passage of the extract", () => {
  it("highlights exactly the passage and scrolls it into view", async () => {
    const scrolled: Element[] = [];
    Element.prototype.scrollIntoView = function (this: Element) {
      scrolled.push(this);
    };
    await act(async () =>
      root.render(
        <ArticlePanel
          open={{ id: "CD-art-414", passage: ITEM, range: passage.utf16_range, location: "2°" }}
          onClose={() => {}}
        />,
      ),
    );
    const marks = all("[data-testid=article-highlight]");
    expect(marks).toHaveLength(1);
    expect(marks[0].textContent).toBe(ITEM);
    expect(q("#article-text")?.textContent).toBe(ARTICLE_TEXT);
    expect(q("#article-highlight-note")?.textContent).toBe("Le passage cité (2°) est surligné.");
    expect(scrolled).toEqual([marks[0]]);
  });
});
