import { useEffect, useRef, useState } from "react";
import { api, errorMessage } from "../api";
import type { ArticleHistory, ArticleView } from "../types";
import type { OpenArticle } from "../App";
import { passageRanges, splitByRanges } from "../highlight";
import { ErrorAlert } from "./ErrorAlert";
import { frenchDate } from "./StatusBar";

/** The cited article: full text with the supporting passage highlighted, and its versions. */
export function ArticlePanel({ open, onClose }: { open: OpenArticle; onClose: () => void }) {
  const [article, setArticle] = useState<ArticleView | null>(null);
  const [history, setHistory] = useState<ArticleHistory | null>(null);
  const [tab, setTab] = useState<"text" | "versions">("text");
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const textBox = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let cancelled = false;
    setArticle(null);
    setHistory(null);
    setTab("text");
    setError(null);
    api
      .article(open.id)
      .then((a) => !cancelled && setArticle(a))
      .catch((e) => !cancelled && setError(errorMessage(e)));
    return () => {
      cancelled = true;
    };
  }, [open.id]);

  // Each opening (a citation, a passage of the extract) shows the text at its passage, even
  // when the article is already open.
  useEffect(() => setTab("text"), [open]);
  useEffect(() => {
    if (article && tab === "text") textBox.current?.querySelector("mark")?.scrollIntoView?.({ block: "center" });
  }, [article, open, tab]);

  useEffect(() => {
    if (tab !== "versions" || history) return;
    api
      .articleHistory(open.id)
      .then(setHistory)
      .catch((e) => setError(errorMessage(e)));
  }, [tab, history, open.id]);

  const copy = async () => {
    if (!article) return;
    const text = `${article.reference}\n${article.credit}`;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Older WebKit: fall back to a hidden text area.
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setCopied(true);
    window.setTimeout(() => setCopied(false), 2000);
  };

  const ranges = article ? passageRanges(article.text, open.range, open.passage) : [];
  return (
    <aside className="vg-panel" id="article-panel" aria-label="Article cité" data-article-id={article?.id ?? ""}>
      <div className="fr-grid-row fr-grid-row--middle">
        <h2 className="fr-h5 fr-mb-0" style={{ flex: 1 }} id="article-title">
          {article ? `Article ${article.article} — ${article.code}` : "Article"}
        </h2>
        <button className="fr-btn--close fr-btn" title="Fermer l'article" onClick={onClose} id="article-close">
          Fermer
        </button>
      </div>
      {error && <ErrorAlert message={error} />}
      {article && (
        <>
          {article.path.length > 0 && (
            <nav role="navigation" className="fr-breadcrumb fr-mt-1w fr-mb-1w" aria-label="Plan du code">
              <ol className="fr-breadcrumb__list" style={{ display: "block" }}>
                <li>
                  <span className="fr-breadcrumb__link">{article.code_short}</span>
                </li>
                {article.path.map((p, i) => (
                  <li key={i}>
                    <span className="fr-breadcrumb__link" aria-current={i === article.path.length - 1 ? "page" : undefined}>
                      {p}
                    </span>
                  </li>
                ))}
              </ol>
            </nav>
          )}
          <p className="fr-mb-1w">
            <span className={`fr-badge fr-badge--sm ${article.in_force ? "fr-badge--success" : "fr-badge--warning"}`}>
              {article.in_force ? "En vigueur" : "Version historique"}
            </span>{" "}
            <span className="fr-badge fr-badge--sm fr-badge--info">Édition du {frenchDate(article.edition)}</span>
          </p>
          {article.now_at.length > 0 && (
            <p className="fr-text--sm">Devenu {article.now_at.join(", ")} (table de correspondance).</p>
          )}
          <div className="fr-tabs__list fr-mb-1w" role="tablist">
            <button className={`fr-btn fr-btn--sm ${tab === "text" ? "" : "fr-btn--tertiary"}`} role="tab" aria-selected={tab === "text"} id="tab-text" onClick={() => setTab("text")}>
              Texte
            </button>{" "}
            <button className={`fr-btn fr-btn--sm ${tab === "versions" ? "" : "fr-btn--tertiary"}`} role="tab" aria-selected={tab === "versions"} id="tab-versions" onClick={() => setTab("versions")}>
              Versions
            </button>
          </div>
          {tab === "text" ? (
            <>
              {ranges.length > 0 && (
                <p className="fr-text--sm" id="article-highlight-note">
                  {open.range
                    ? `Le passage cité${open.location ? ` (${open.location})` : ""} est surligné.`
                    : "Le passage qui justifie la citation est surligné."}
                </p>
              )}
              <div className="vg-article-text" id="article-text" ref={textBox}>
                {splitByRanges(article.text, ranges).map((piece, i) =>
                  piece.marked ? (
                    <mark key={i} data-testid="article-highlight">
                      {piece.text}
                    </mark>
                  ) : (
                    <span key={i}>{piece.text}</span>
                  ),
                )}
              </div>
            </>
          ) : (
            <VersionsTab history={history} />
          )}
          <p className="fr-text--xs fr-mt-1w" id="article-credit">
            {article.credit}
          </p>
          <button className="fr-btn fr-btn--secondary fr-btn--sm fr-icon-clipboard-line fr-btn--icon-left" id="copy-reference" onClick={copy}>
            {copied ? "Référence copiée" : "Copier la référence"}
          </button>
        </>
      )}
    </aside>
  );
}

function VersionsTab({ history }: { history: ArticleHistory | null }) {
  if (!history) return <p>Chargement des versions…</p>;
  return (
    <div id="article-versions">
      <ul>
        {history.editions.map((v) => (
          <li key={v.edition}>
            Édition du {frenchDate(v.edition)} : {v.status === "absent" ? "absent de cette édition" : v.status}
          </li>
        ))}
      </ul>
      {history.diffs.map((d) => (
        <div key={d.from + d.to} className="fr-mt-2w">
          <h3 className="fr-h6">
            Ce qui a changé entre le {frenchDate(d.from)} et le {frenchDate(d.to)}
          </h3>
          {d.changes.every((c) => c.op === "equal") ? (
            <p>Texte identique.</p>
          ) : (
            <div className="vg-article-text vg-diff">
              {d.changes.map((c, i) =>
                c.op === "insert" ? <ins key={i}>{c.text}</ins> : c.op === "delete" ? <del key={i}>{c.text}</del> : <span key={i}>{c.text}</span>,
              )}
            </div>
          )}
        </div>
      ))}
    </div>
  );
}
