import { useEffect, useState } from "react";
import { api, errorMessage } from "../api";
import type { DocumentView } from "../types";
import type { OpenArticle } from "../App";
import { passageRanges, splitByRanges } from "../highlight";
import { ErrorAlert } from "./ErrorAlert";
import { frenchDate } from "./StatusBar";

/** A cited section of one of the service's documents, with the supporting passage highlighted. */
export function DocumentPanel({ open, onClose }: { open: OpenArticle; onClose: () => void }) {
  const [doc, setDoc] = useState<DocumentView | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    setDoc(null);
    setError(null);
    api
      .document(open.id)
      .then((d) => !cancelled && setDoc(d))
      .catch((e) => !cancelled && setError(errorMessage(e)));
    return () => {
      cancelled = true;
    };
  }, [open.id]);

  const ranges = doc ? passageRanges(doc.text, open.range, open.passage) : [];
  return (
    <aside className="vg-panel" id="document-panel" aria-label="Document du service cité">
      <div className="fr-grid-row fr-grid-row--middle">
        <h2 className="fr-h5 fr-mb-0" style={{ flex: 1 }} id="document-title">
          {doc ? doc.citation : "Document du service"}
        </h2>
        <button className="fr-btn--close fr-btn" title="Fermer le document" onClick={onClose} id="document-close">
          Fermer
        </button>
      </div>
      {error && <ErrorAlert message={error} />}
      {doc && (
        <>
          <p className="fr-mt-1w fr-mb-1w">
            <span className="fr-badge fr-badge--sm fr-badge--info">Document du service, pas un texte de loi</span>{" "}
            <span className="fr-badge fr-badge--sm">Collection {doc.collection}</span>{" "}
            <span className="fr-badge fr-badge--sm">Niveau {doc.label}</span>{" "}
            <span className="fr-badge fr-badge--sm">Importé le {frenchDate(doc.imported)}</span>
          </p>
          {doc.headings.length > 0 && <p className="fr-text--sm">{doc.headings.join(" › ")}</p>}
          {open.passage && ranges.length > 0 && (
            <p className="fr-text--sm">Le passage qui justifie la citation est surligné.</p>
          )}
          <div className="vg-article-text" id="document-text">
            {splitByRanges(doc.text, ranges).map((piece, i) =>
              piece.marked ? <mark key={i}>{piece.text}</mark> : <span key={i}>{piece.text}</span>,
            )}
          </div>
        </>
      )}
    </aside>
  );
}
