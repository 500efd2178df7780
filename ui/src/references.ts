// How a source is named on screen: an article of a code, or a section of one of the service's
// imported documents (cited by file name and page or section, never taken for the law).

import { DOCUMENT_CODE } from "./types";

/** Whether a source id names a section of an imported document (`DOC:<collection>:<section>`). */
export function isDocumentId(id: string): boolean {
  return id.startsWith("DOC:");
}

/** `art. 414 CD`, `art. L. 312-1 CIBS`, or `doc. note.pdf, page 3`. */
export function sourceLabel(code: string, article: string): string {
  if (code === DOCUMENT_CODE) return `doc. ${article}`;
  return `art. ${article} ${code === "Code des douanes" ? "CD" : "CIBS"}`;
}

/** The short label of an inline citation chip: `art. 414` or `doc. note.pdf, page 3`. */
export function inlineLabel(code: string, article: string): string {
  return code === DOCUMENT_CODE ? `doc. ${article}` : `art. ${article}`;
}
