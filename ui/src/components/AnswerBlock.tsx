import type { Answer, Citation, RejectedCitation } from "../types";
import { segmentAnswer } from "../answerState";
import type { OpenArticle } from "../App";
import { abstentionText } from "../abstention";
import { inlineLabel, isDocumentId, sourceLabel } from "../references";

interface Props {
  text: string;
  citations: Citation[];
  rejected: RejectedCitation[];
  answer: Answer | null;
  streaming: boolean;
  stopped: boolean;
  onOpenArticle: (a: OpenArticle) => void;
}

/** One answer: its text with citation chips, the checked citations, abstention and footer. */
export function AnswerBlock({ text, citations, rejected, answer, streaming, stopped, onOpenArticle }: Props) {
  const open = (c: Citation) => onOpenArticle({ id: c.id, passage: c.supporting_passage });
  if (answer?.abstained) {
    return (
      <div className="vg-answer" data-role="answer">
        <div className="fr-alert fr-alert--info vg-abstention">
          <h3 className="fr-alert__title">Vigie ne répond pas à cette question</h3>
          <p>{abstentionText(answer)}</p>
        </div>
        {answer.closest.length > 0 && (
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
        )}
        <AnswerFooter answer={answer} />
      </div>
    );
  }
  const segments = segmentAnswer(text, citations);
  return (
    <div className="vg-answer" data-role="answer">
      <div className={`vg-answer-text${streaming ? " vg-cursor" : ""}`} aria-live="polite">
        {segments.map((s, i) =>
          s.kind === "text" ? (
            <span key={i}>{s.text}</span>
          ) : s.citation ? (
            <button
              key={i}
              className="fr-tag fr-tag--sm vg-citation-chip"
              title={isDocumentId(s.citation.id) ? "Ouvrir le document cité" : "Ouvrir l'article cité"}
              onClick={() => s.citation && open(s.citation)}
            >
              {inlineLabel(s.citation.code, s.citation.article)}
            </button>
          ) : (
            <span key={i}>{s.text}</span>
          ),
        )}
      </div>
      {stopped && <p className="fr-badge fr-badge--warning fr-mt-1w" id="stopped-badge">Génération interrompue</p>}
      {!streaming && citations.length > 0 && (
        <div className="fr-mt-2w vg-citations">
          <p className="fr-text--sm fr-mb-1w">Citations vérifiées dans les sources :</p>
          <ul className="fr-tags-group">
            {citations.map((c) => (
              <li key={c.id + c.written_as}>
                <button
                  className={`fr-tag vg-citation-chip${c.valid ? "" : " fr-tag--error"}`}
                  title={c.valid ? "Passage vérifié : ouvrir la source" : "Citation entre guillemets introuvable dans la source"}
                  onClick={() => open(c)}
                >
                  {c.valid ? "✓" : "✗"} {sourceLabel(c.code, c.article)}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {!streaming && answer && citations.length === 0 && (
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
                  className="fr-tag fr-tag--sm vg-source-chip"
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
      {rejected.length > 0 && (
        <p className="fr-text--sm fr-mt-1w">
          Citations retirées (articles non fournis au modèle) : {rejected.map((r) => r.written_as).join(", ")}
        </p>
      )}
      {answer && <AnswerFooter answer={answer} />}
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
