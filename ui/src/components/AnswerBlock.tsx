import type { Answer, Citation, Confidence, ExtractPassage, MissingArticle, RejectedCitation } from "../types";
import { citationCheck, isLowConfidence, missingArticlesOf, segmentAnswer, synthesisOf } from "../answerState";
import type { OpenArticle } from "../App";
import { abstentionText } from "../abstention";
import { inlineLabel, isDocumentId, sourceLabel } from "../references";
import { frenchDate } from "./StatusBar";

interface Props {
  /** The passages of the code quoted first (empty for old answers and before they arrive). */
  extract: ExtractPassage[];
  /** Said with the extract (the final answer's, once it is there). */
  confidence: Confidence | null;
  text: string;
  citations: Citation[];
  rejected: RejectedCitation[];
  answer: Answer | null;
  streaming: boolean;
  stopped: boolean;
  onOpenArticle: (a: OpenArticle) => void;
}

/**
 * One answer: what the code says (passages quoted verbatim), then the model's synthesis with
 * citation chips, the checked citations, abstention and footer.
 */
export function AnswerBlock({ extract, confidence, text, citations, rejected, answer, streaming, stopped, onOpenArticle }: Props) {
  const open = (c: Citation) => onOpenArticle({ id: c.id, passage: c.supporting_passage });
  const missing = missingArticlesOf(answer);
  if (answer?.abstained) {
    return (
      <div className="vg-answer" data-role="answer">
        <div className="fr-alert fr-alert--info vg-abstention">
          <h3 className="fr-alert__title">Vigie ne répond pas à cette question</h3>
          <p>{abstentionText(answer)}</p>
        </div>
        <MissingArticles missing={missing} />
        <ClosestArticles answer={answer} onOpenArticle={onOpenArticle} />
        <AnswerFooter answer={answer} />
      </div>
    );
  }
  if (isLowConfidence(answer, confidence)) {
    // No provision answers directly: said first, then the closest passages and articles; no
    // model was called, nothing is shown as verified.
    return (
      <div className="vg-answer" data-role="answer" data-confidence="low">
        <div className="fr-alert fr-alert--warning fr-mb-2w vg-low-confidence" data-testid="low-confidence">
          <h3 className="fr-alert__title">Confiance faible</h3>
          <p>
            Aucune disposition ne répond directement ; voici les plus proches. Vigie ne rédige pas de synthèse :
            lisez les passages et ouvrez les articles pour juger vous-même.
          </p>
        </div>
        <MissingArticles missing={missing} />
        {extract.length > 0 && (
          <Extract passages={extract} title="Ce que disent les articles les plus proches" onOpenArticle={onOpenArticle} />
        )}
        {answer && <ClosestArticles answer={answer} onOpenArticle={onOpenArticle} />}
        {answer && <AnswerFooter answer={answer} />}
      </div>
    );
  }
  // The engine's verdict comes with the final answer: until then the streamed text is shown as
  // the synthesis being written; an unusable one is replaced by the engine's plain sentence.
  const usable = synthesisOf(answer).usable;
  const segments = segmentAnswer(text, citations);
  const showSynthesis = text.length > 0 || streaming;
  return (
    <div className="vg-answer" data-role="answer">
      <MissingArticles missing={missing} />
      {extract.length > 0 && <Extract passages={extract} title="Ce que dit le code" onOpenArticle={onOpenArticle} />}
      {showSynthesis && (
        <div
          className={`vg-synthesis${usable ? "" : " vg-synthesis--unusable"}`}
          data-testid="synthesis"
          data-usable={usable ? "true" : "false"}
        >
          {usable ? (
            <>
              <h3 className="fr-h6 fr-mb-1w vg-synthesis-title">Synthèse du modèle (à vérifier)</h3>
              <div className={`vg-answer-text${streaming ? " vg-cursor" : ""}`} aria-live="polite">
                {segments.map((s, i) =>
                  s.kind === "text" ? (
                    <span key={i}>{s.text}</span>
                  ) : s.citation ? (
                    <button
                      key={i}
                      type="button"
                      className="fr-tag fr-tag--sm vg-citation-chip"
                      data-check={citationCheck(s.citation)}
                      title={chipTitle(s.citation)}
                      onClick={() => s.citation && open(s.citation)}
                    >
                      {inlineLabel(s.citation.code, s.citation.article)}
                    </button>
                  ) : (
                    <span key={i}>{s.text}</span>
                  ),
                )}
              </div>
            </>
          ) : (
            <p className="fr-text--sm vg-answer-text vg-answer-text--muted">{text}</p>
          )}
        </div>
      )}
      {usable && answer?.synthesis?.repetition_stopped && (
        <p className="fr-text--xs fr-mt-1w vg-repetition-note">
          La génération a été arrêtée à une phrase que le modèle répétait : la synthèse s'arrête avant.
        </p>
      )}
      {stopped && <p className="fr-badge fr-badge--warning fr-mt-1w" id="stopped-badge">Génération interrompue</p>}
      {!streaming && usable && citations.length > 0 && (
        <div className="fr-mt-2w vg-citations">
          <p className="fr-text--sm fr-mb-1w">Citations de la synthèse, contrôlées dans les sources :</p>
          <ul className="fr-tags-group">
            {citations.map((c) => (
              <li key={c.id + c.written_as}>
                <CitationChip citation={c} onOpen={() => open(c)} />
              </li>
            ))}
          </ul>
        </div>
      )}
      {!streaming && answer && usable && citations.length === 0 && (
        <p className="fr-text--sm fr-mt-1w">
          Cette réponse ne cite aucune source : vérifiez-la dans les sources fournies au modèle, ci-dessous.
        </p>
      )}
      {!streaming && answer && (answer.source_articles?.length ?? 0) > 0 && (
        <div className="fr-mt-1w vg-sources">
          <p className="fr-text--sm fr-mb-1w">Sources fournies au modèle :</p>
          <ul className="fr-tags-group">
            {(answer.source_articles ?? []).map((s) => (
              <li key={s.id}>
                <button
                  type="button"
                  className="fr-tag fr-tag--sm vg-source-chip"
                  data-article-id={s.id}
                  title={s.trimmed ? "Source fournie en partie : l'ouvrir en entier" : "Ouvrir la source"}
                  onClick={() => onOpenArticle({ id: s.id })}
                >
                  {sourceLabel(s.code, s.article)}
                  {s.trimmed ? " (extrait)" : ""}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {usable && rejected.length > 0 && (
        <p className="fr-text--sm fr-mt-1w">
          Citations retirées (articles non fournis au modèle) : {rejected.map((r) => r.written_as).join(", ")}
        </p>
      )}
      {answer && <AnswerFooter answer={answer} />}
    </div>
  );
}

/** A checked citation: ✓ only for a passage found in the source AND relevant to the question. */
export function CitationChip({ citation: c, onOpen }: { citation: Citation; onOpen: () => void }) {
  const check = citationCheck(c);
  const label = sourceLabel(c.code, c.article);
  return (
    <button
      type="button"
      className={`fr-tag vg-citation-chip vg-citation-chip--${check}${check === "invalid" ? " fr-tag--error" : ""}${
        check === "off_topic" ? " fr-tag--icon-left fr-icon-warning-line" : ""
      }`}
      data-check={check}
      title={chipTitle(c)}
      onClick={onOpen}
    >
      {check === "verified" ? `✓ ${label}` : check === "invalid" ? `✗ ${label}` : `${label} : passage hors sujet`}
    </button>
  );
}

function chipTitle(c: Citation): string {
  const what = isDocumentId(c.id) ? "le document" : "l'article";
  switch (citationCheck(c)) {
    case "verified":
      return `Passage vérifié dans la source et pertinent pour la question : ouvrir ${what}`;
    case "off_topic":
      return `Le passage est bien dans la source mais ne porte pas sur la question : ouvrir ${what}`;
    case "invalid":
      return `Citation entre guillemets introuvable dans la source : ouvrir ${what}`;
  }
}

/** « Ce que dit le code » : the passages quoted verbatim, each opening its article at the passage. */
/** The closest articles, to open: shown when Vigie abstains or is not confident. */
function ClosestArticles({ answer, onOpenArticle }: { answer: Answer; onOpenArticle: (a: OpenArticle) => void }) {
  if (answer.closest.length === 0) return null;
  return (
    <>
      <p className="fr-mt-2w fr-mb-1w">Articles les plus proches, à consulter (ce n'est pas une réponse) :</p>
      <ul className="fr-tags-group">
        {answer.closest.map((a) => (
          <li key={a.id}>
            <button className="fr-tag vg-closest-chip" onClick={() => onOpenArticle({ id: a.id })}>
              {sourceLabel(a.code, a.article)}
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

function Extract({
  passages,
  title,
  onOpenArticle,
}: {
  passages: ExtractPassage[];
  title: string;
  onOpenArticle: (a: OpenArticle) => void;
}) {
  return (
    <section className="vg-extract fr-mb-2w" data-testid="extract" aria-label={title}>
      <h3 className="fr-h6 fr-mb-1w">{title}</h3>
      <ul className="vg-extract-list">
        {passages.map((p) => {
          const where = p.location ? `${p.label}, ${p.location}` : p.label;
          return (
            <li key={`${p.id}:${p.utf16_range[0]}`}>
              <button
                type="button"
                className="vg-extract-passage"
                data-testid="extract-passage"
                data-article-id={p.id}
                title={`Ouvrir ${isDocumentId(p.id) ? "le document" : "l'article"} à ce passage (${p.code}, édition du ${frenchDate(p.edition)})`}
                onClick={() =>
                  onOpenArticle({ id: p.id, passage: p.text, range: p.utf16_range, location: p.location || undefined })
                }
              >
                <span className="vg-extract-ref" data-testid="extract-ref">
                  {where}
                </span>
                {p.lead && (
                  <span className="fr-text--xs vg-extract-lead" data-testid="extract-lead">
                    {p.lead}
                  </span>
                )}
                <span className="vg-extract-text" data-testid="extract-text">
                  {p.text}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** Article numbers the question named that no loaded code has, with the nearest that exist. */
function MissingArticles({ missing }: { missing: MissingArticle[] }) {
  if (missing.length === 0) return null;
  return (
    <div className="fr-alert fr-alert--warning fr-alert--sm fr-my-2w" data-testid="missing-articles">
      {missing.map((m, i) => (
        <p key={`${m.written}:${i}`}>
          L'article {m.written} n'existe pas dans les codes chargés{m.code ? ` (${m.code})` : ""}.
          {m.nearest.length > 0 &&
            ` ${m.nearest.length > 1 ? "Articles existants les plus proches" : "Article existant le plus proche"} : ${m.nearest.join(", ")}.`}
        </p>
      ))}
    </div>
  );
}

function AnswerFooter({ answer }: { answer: Answer }) {
  const first = answer.timings.first_token_ms;
  return (
    <p className="fr-text--xs fr-mt-1w vg-answer-footer">
      Réponse produite par une IA ({answer.model.name}) · {answer.edition_note}
      {first !== null ? ` · premier mot en ${(first / 1000).toFixed(1)} s` : ""} · à vérifier dans les articles cités
    </p>
  );
}
