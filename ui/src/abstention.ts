import type { Answer } from "./types";

/** Why Vigie did not answer, in French (mirrors the engine's `Abstention::explanation_fr`). */
export function abstentionText(answer: Answer): string {
  const a = answer.abstention;
  if (!a) return answer.answer;
  switch (a.kind) {
    case "other_text":
      return `La question porte sur un autre texte (${a.text}) que les codes du corpus.`;
    case "out_of_scope":
      return `La question relève d'un domaine (${a.subject}) que les codes du corpus ne régissent pas.`;
    case "no_sources":
      return "Aucun article du corpus ne correspond à la question.";
    case "model_judged_irrelevant":
      return "Les articles trouvés ne répondent pas à la question.";
    case "model_abstained":
      return "Le modèle n'a pas trouvé la réponse dans les articles fournis.";
    case "missing_article":
      return `La question cite un numéro d'article (${a.written.join(", ")}) qui n'existe pas dans les codes chargés.`;
  }
}
