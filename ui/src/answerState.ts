// The state of the answer being streamed, as a pure reducer over the engine's events, so that
// its logic is tested without a window.

import type {
  Answer,
  AnswerEvent,
  Citation,
  Confidence,
  ExtractPassage,
  MissingArticle,
  RejectedCitation,
  SourceInfo,
  Synthesis,
} from "./types";

export type LiveStatus = "waiting" | "streaming" | "checking" | "done" | "stopped" | "error";

export interface LiveAnswer {
  question: string;
  status: LiveStatus;
  /** The passages of the code quoted first, before the model writes anything. */
  extract: ExtractPassage[];
  /** Said with the extract, before any model text. */
  confidence: Confidence | null;
  sources: SourceInfo[];
  text: string;
  citations: Citation[];
  rejected: RejectedCitation[];
  answer: Answer | null;
  error: string | null;
  stopRequested: boolean;
}

export function startAnswer(question: string): LiveAnswer {
  return {
    question,
    status: "waiting",
    extract: [],
    confidence: null,
    sources: [],
    text: "",
    citations: [],
    rejected: [],
    answer: null,
    error: null,
    stopRequested: false,
  };
}

export function applyEvent(state: LiveAnswer, event: AnswerEvent): LiveAnswer {
  switch (event.type) {
    case "extract":
      return { ...state, extract: event.passages, confidence: event.confidence ?? null };
    case "sources":
      return { ...state, sources: event.sources };
    case "token":
      return { ...state, status: "streaming", text: state.text + event.text };
    case "citations":
      return { ...state, status: "checking", citations: event.citations, rejected: event.rejected };
    case "done": {
      const stopped = event.answer.stop === "cancelled" || state.stopRequested;
      return {
        ...state,
        status: stopped ? "stopped" : "done",
        // The final text has rejected citations removed and sources written as articles; when
        // the model's text is no usable synthesis, it is the engine's sentence saying so.
        text: event.answer.answer,
        extract: event.answer.extract ?? state.extract,
        confidence: event.answer.confidence ?? state.confidence,
        citations: event.answer.citations,
        rejected: event.answer.rejected_citations,
        answer: event.answer,
      };
    }
    case "error":
      return { ...state, status: "error", error: event.message_fr };
  }
}

/**
 * Whether the answer is shown as a low-confidence one: articles that may not answer, no
 * synthesis. An abstention says more than that and is shown as such.
 */
export function isLowConfidence(answer: Answer | null, live: Confidence | null = null): boolean {
  if (answer?.abstained) return false;
  return (answer?.confidence ?? live) === "low";
}

/** The passages quoted first; none in answers stored before they existed. */
export function extractOf(answer: Answer | null): ExtractPassage[] {
  return answer?.extract ?? [];
}

const USABLE: Synthesis = { usable: true, issue: null };

/** Whether the model's text is a usable synthesis (old answers and answers in progress are). */
export function synthesisOf(answer: Answer | null): Synthesis {
  return answer?.synthesis ?? USABLE;
}

export function missingArticlesOf(answer: Answer | null): MissingArticle[] {
  return answer?.missing_articles ?? [];
}

/**
 * How a checked citation is shown: `verified` (✓) only when its quotations are in the source
 * AND the cited passage is among those ranked relevant to the question; `off_topic` when the
 * source has the passage but it does not bear on the question; `invalid` otherwise.
 */
export type CitationCheck = "verified" | "off_topic" | "invalid";

export function citationCheck(c: Citation): CitationCheck {
  if (!c.valid) return "invalid";
  return c.relevant === false ? "off_topic" : "verified";
}

export function requestStop(state: LiveAnswer): LiveAnswer {
  return { ...state, stopRequested: true };
}

export function isRunning(state: LiveAnswer | null): boolean {
  return state !== null && (state.status === "waiting" || state.status === "streaming" || state.status === "checking");
}

/** A piece of answer text: plain text, or a citation written in brackets. */
export type Segment = { kind: "text"; text: string } | { kind: "citation"; text: string; citation: Citation | null };

/**
 * Splits an answer into text and bracketed references (`[art. 414]`), each matched to its
 * checked citation when there is one (by the way the model wrote it, then by article number).
 */
export function segmentAnswer(text: string, citations: Citation[]): Segment[] {
  const out: Segment[] = [];
  const pattern = /\[([^\]\n]{1,160})\]/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const start = match.index ?? 0;
    const inner = match[1];
    const citation =
      citations.find((c) => c.written_as === match[0]) ??
      citations.find((c) => c.label !== undefined && normaliseRef(inner) === normaliseRef(c.label)) ??
      citations.find((c) => normaliseRef(inner) === normaliseRef(`art. ${c.article}`)) ??
      null;
    if (!citation && !/^(art|source|doc)/i.test(inner.trim())) continue;
    if (start > last) out.push({ kind: "text", text: text.slice(last, start) });
    out.push({ kind: "citation", text: match[0], citation });
    last = start + match[0].length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}

function normaliseRef(s: string): string {
  return s
    .toLowerCase()
    .replace(/article/g, "art.")
    .replace(/\s+/g, " ")
    .replace(/\s*(cd|cibs|code des douanes)\s*$/, "")
    .trim();
}
