// Mirrors of the engine's serialised types (crates/vigie-engine: answer::event, assistant,
// store, versions). Keep them in step with the Rust definitions.

export interface SourceInfo {
  number: number;
  id: string;
  article: string;
  code: string;
  path: string[];
  edition: string;
  trimmed: boolean;
  chars_given: number;
  chars_total: number;
}

export interface WithheldSource {
  id: string;
  reason: string;
}

export interface QuoteCheck {
  text: string;
  verbatim: boolean;
}

export interface Citation {
  id: string;
  article: string;
  code: string;
  /** How the final text cites it ("art. 414", "doc. note.pdf, page 3"); absent in old answers. */
  label?: string;
  path: string[];
  edition: string;
  supporting_passage: string;
  valid: boolean;
  quotes: QuoteCheck[];
  written_as: string;
  now_at: string[];
  /**
   * Whether the cited passage is among the passages ranked relevant to the question; absent in
   * old answers (read as true). Only a valid and relevant citation is shown as verified.
   */
  relevant?: boolean;
}

export interface RejectedCitation {
  written_as: string;
  reason: string;
}

export type Abstention =
  | { kind: "other_text"; text: string }
  | { kind: "out_of_scope"; subject: string }
  | { kind: "no_sources" }
  | { kind: "model_judged_irrelevant" }
  | { kind: "model_abstained" }
  /** Every article number the question names is missing from the loaded codes. */
  | { kind: "missing_article"; written: string[] };

export interface ClosestArticle {
  id: string;
  article: string;
  code: string;
  path: string[];
  edition: string;
  excerpt: string;
}

/** One passage of an article, quoted verbatim as what the code says on the question. */
export interface ExtractPassage {
  /** Article id, as in `SourceInfo.id` and `Citation.id` ("CD-art-60"). */
  id: string;
  article: string;
  code: string;
  /** How the article is cited: "art. 60", "art. L. 312-1 CIBS". */
  label: string;
  edition: string;
  /** Place of the passage in the article: "I, 2°", "al. 3". */
  location: string;
  /** The passage, verbatim from the article text. */
  text: string;
  /** For an item of a list: the sentence that introduces the list. */
  lead: string | null;
  /** Byte range in the article text (UTF-8): not for JavaScript strings. */
  range: [number, number];
  /** The same range in UTF-16 code units: the one to slice and highlight with. */
  utf16_range: [number, number];
  score: number;
}

/** Why the model's text was not kept as a synthesis. */
export type SynthesisIssue =
  | "empty"
  | "header_only"
  | "copy"
  | "repetition"
  | "irrelevant_citations"
  | "unsupported_claims"
  | "no_model";

export interface Synthesis {
  usable: boolean;
  issue: SynthesisIssue | null;
  /** Whether generation was stopped at a repeated sentence (the text cut before it). */
  repetition_stopped?: boolean;
}

/** An article number the question named that none of the loaded codes has. */
export interface MissingArticle {
  written: string;
  code: string | null;
  /** The nearest existing articles, as cited ("art. 414-2", "art. L. 312-1 CIBS"). */
  nearest: string[];
}

/** How sure the engine is that the articles shown answer the question. */
export type Confidence = "high" | "low";

export interface Answer {
  question: string;
  answer: string;
  abstained: boolean;
  abstention: Abstention | null;
  citations: Citation[];
  rejected_citations: RejectedCitation[];
  sources: string[];
  trimmed_sources: string[];
  /** Absent from answers stored before it existed. */
  source_articles?: SourceInfo[];
  closest: ClosestArticle[];
  edition_note: string;
  date: string | null;
  model: { name: string; sha256: string };
  corpus: { hash: string; editions: string[] };
  timings: {
    retrieval_ms: number;
    /** From the question to the extract; absent when there is none and in old answers. */
    extract_ms?: number | null;
    first_token_ms: number | null;
    total_ms: number;
  };
  /** Tokens of the prompt given to the model; absent when it was not called. */
  prompt_tokens?: number | null;
  stop: string | null;
  /** The passages quoted before the synthesis; absent from old answers (read as none). */
  extract?: ExtractPassage[];
  /** Whether the model's text is a usable synthesis; absent from old answers (read as usable). */
  synthesis?: Synthesis;
  /** The model's text when it was set aside: kept for the journal, never shown as the answer. */
  set_aside_text?: string | null;
  /** Absent from old answers (read as none). */
  missing_articles?: MissingArticle[];
  /** `low`: no provision answers directly; no model was called and nothing is shown as verified. */
  confidence?: Confidence;
}

/** One step of an answer, as the engine streams it (`AnswerEvent`). */
export type AnswerEvent =
  | { type: "extract"; passages: ExtractPassage[]; confidence?: Confidence }
  | { type: "sources"; sources: SourceInfo[]; withheld: WithheldSource[] }
  | { type: "token"; text: string }
  | { type: "citations"; citations: Citation[]; rejected: RejectedCitation[] }
  | { type: "done"; answer: Answer }
  | { type: "error"; message_fr: string; message: string };

export type IndexState =
  | { phase: "idle" }
  | { phase: "opening" }
  | { phase: "building"; done: number; total: number }
  | { phase: "ready"; rebuilt: string | null }
  | { phase: "failed"; message_fr: string };

export interface Settings {
  model: string | null;
  temperature: number;
  sources: number;
  notice_acknowledged: boolean;
  profile: string | null;
}

export interface ModelChoice {
  name: string;
  description: string;
  present: boolean;
  default: boolean;
}

export interface EditionInfo {
  code: string;
  short: string;
  date: string;
  in_force: boolean;
  articles: number;
  credit: string;
}

export interface Status {
  index: IndexState;
  model_loaded: string | null;
  model_loading: boolean;
  models: ModelChoice[];
  settings: Settings;
  editions: EditionInfo[];
  data_dir: string;
}

export interface SearchHit {
  id: string;
  article: string;
  code: string;
  code_short: string;
  path: string[];
  score: number;
  excerpt: string;
  edition: string;
  named: boolean;
}

export interface SearchResults {
  query: string;
  hits: SearchHit[];
  direct: string | null;
  total_ms: number;
}

export interface ArticleView {
  id: string;
  article: string;
  code: string;
  code_short: string;
  path: string[];
  text: string;
  edition: string;
  in_force: boolean;
  status: string;
  credit: string;
  reference: string;
  now_at: string[];
}

export interface ArticleVersion {
  edition: string;
  status: string;
  text: string;
  path: string[];
  id: string | null;
}

export interface ArticleHistory {
  article: string;
  code: string;
  editions: ArticleVersion[];
  diffs: { from: string; to: string; changes: { op: string; text: string }[] }[];
}

export interface ConversationSummary {
  id: number;
  title: string;
  created: string;
  updated: string;
  messages: number;
}

export interface StoredMessage {
  id: number;
  role: "question" | "answer";
  text: string;
  answer: Answer | null;
  stopped: boolean;
  created: string;
}

export interface Conversation {
  summary: ConversationSummary;
  messages: StoredMessage[];
}

export interface AskOutcome {
  conversation: ConversationSummary;
  answer_id: number;
  stopped: boolean;
  answer: Answer;
}

export interface ExportOutcome {
  path: string;
  bytes: number;
}

/** An error as the shell returns it. */
export interface CommandError {
  message_fr: string;
  message: string;
}

export interface ModelImportProgress {
  done: number;
  total: number;
}

export interface ImportedModel {
  name: string;
  path: string;
  sha256: string;
  checksum_verified: boolean;
  architecture: string;
  bytes: number;
  default: boolean;
}

export interface PolicyOverview {
  policy: {
    source: { kind: "default" } | { kind: "file"; path: string };
    sha256: string;
    default_profile: string;
    labels: { name: string; description: string; ai_allowed: boolean }[];
    markers: { text: string; label: string; ignore_case: boolean }[];
    profiles: { name: string; description: string; labels: string[] }[];
  };
  collections: { name: string; label: string }[];
}

/** The code of an imported document's section carried as a source (see the engine). */
export const DOCUMENT_CODE = "Document importé";

/** A cited section of an imported document. */
export interface DocumentView {
  id: string;
  collection: string;
  label: string;
  citation: string;
  headings: string[];
  text: string;
  imported: string;
}

export type DocumentImportProgress =
  | { stage: "reading"; done: number; total: number; file: string }
  | { stage: "admitted"; documents: number; sections: number }
  | { stage: "index"; step: "chunked"; chunks: number }
  | { stage: "index"; step: "embedding"; done: number; total: number }
  | { stage: "index"; step: "graph" | "full_text" | "writing" }
  | { stage: "committing" };

export interface DocumentImportReport {
  collection: string;
  label: string;
  label_refused: unknown | null;
  outcome: {
    collection: string;
    label: string;
    imported: { file_name: string; sections: number; sha256: string }[];
    replaced: string[];
    refused: { file_name: string; sha256: string }[];
    sections: number;
    chunks: number;
    seconds: number;
  } | null;
  unreadable: { file: string; reason: string }[];
  skipped: { path: string; reason: string }[];
  /** French summary and one line per refused or unreadable document. */
  summary_fr: string;
  problems_fr: string[];
}
