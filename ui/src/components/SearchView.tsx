import { useState } from "react";
import { api, errorMessage } from "../api";
import type { SearchResults, Status } from "../types";
import type { OpenArticle } from "../App";
import { findTerms, splitByRanges } from "../highlight";
import { ErrorAlert } from "./ErrorAlert";

/** Search without the model: hybrid results; an article number opens the article directly. */
export function SearchView({ status, onOpenArticle }: { status: Status | null; onOpenArticle: (a: OpenArticle) => void }) {
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<SearchResults | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ready = status?.index.phase === "ready";

  const run = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!query.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api.search(query, 20);
      setResults(r);
      if (r.direct) onOpenArticle({ id: r.direct });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="vg-content" aria-label="Recherche dans les codes">
      <h1 className="fr-h4">Recherche dans les codes (sans modèle)</h1>
      <form role="search" onSubmit={run} className="fr-search-bar fr-mb-2w" id="search-form">
        <label className="fr-label" htmlFor="search-input">
          Rechercher
        </label>
        <input
          className="fr-input"
          id="search-input"
          type="search"
          placeholder="Mots-clés ou numéro d'article (414, L. 312-1 CIBS…)"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          disabled={!ready}
        />
        <button className="fr-btn" id="search-button" title="Rechercher" disabled={!ready || busy}>
          Rechercher
        </button>
      </form>
      {!ready && <p className="fr-text--sm">Préparation de l'index…</p>}
      {error && <ErrorAlert message={error} />}
      {results && (
        <>
          <p className="fr-text--sm" id="search-summary">
            {results.hits.length} résultats en {Math.round(results.total_ms)} ms · Source : Légifrance (DILA), Licence Ouverte 2.0
          </p>
          <ol className="fr-raw-list" id="search-results">
            {results.hits.map((h) => (
              <li key={h.id} className="fr-card fr-card--sm fr-card--no-arrow fr-mb-2w">
                <div className="fr-card__body">
                  <div className="fr-card__content">
                    <h2 className="fr-card__title fr-h6">
                      <button className="fr-link vg-hit-link" onClick={() => onOpenArticle({ id: h.id })}>
                        Article {h.article} — {h.code_short}
                      </button>
                    </h2>
                    <p className="fr-card__desc vg-excerpt">
                      {splitByRanges(h.excerpt, findTerms(h.excerpt, results.query)).map((p, i) =>
                        p.marked ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>,
                      )}
                    </p>
                    <p className="fr-card__detail">{h.path.join(" › ")}</p>
                  </div>
                </div>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
