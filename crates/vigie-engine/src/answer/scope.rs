//! Questions the corpus cannot answer, recognised before retrieval.
//!
//! Retrieval scores do not separate unanswerable questions from answerable ones: the best
//! cosine and the best BM25 score of both kinds overlap almost completely, because a corpus of
//! 2,000 articles always has a closest one. What does separate them is what the question is
//! about. Two signals, both stated by subject family rather than by question:
//! - the question **names another text** (Union Customs Code, code de la route, code du travail…)
//!   and not ours;
//! - the question asks about a **subject the two codes do not govern**: road traffic rules,
//!   tariff rates and classification (TARIC, the Common Customs Tariff), civil-service careers
//!   and recruitment, income and property taxes.
//!
//! Either one makes Vigie abstain without calling the model. The pipeline adds a third signal
//! after retrieval (the model's own judgement, see `AnswerOptions::relevance_check`).

use std::sync::OnceLock;

use regex::Regex;

use super::event::Abstention;

/// Other texts, as a question names them.
const OTHER_TEXTS: &[(&str, &str)] = &[
    (
        r"code\s+des\s+douanes\s+(de\s+l'union|communautaire|de\s+l'ue)|\bCDU\b|r[èe]glement\s+\(?UE\)?\s*n?°?\s*952/2013",
        "code des douanes de l'Union",
    ),
    (r"code\s+de\s+la\s+route", "code de la route"),
    (r"code\s+du\s+travail", "code du travail"),
    (
        r"code\s+g[ée]n[ée]ral\s+des\s+imp[ôo]ts|\bCGI\b",
        "code général des impôts",
    ),
    (r"code\s+civil", "code civil"),
    (r"code\s+de\s+commerce", "code de commerce"),
    (
        r"code\s+de\s+la\s+s[ée]curit[ée]\s+sociale",
        "code de la sécurité sociale",
    ),
    (
        r"code\s+de\s+la\s+sant[ée]\s+publique",
        "code de la santé publique",
    ),
    (r"code\s+de\s+l'environnement", "code de l'environnement"),
    (r"code\s+de\s+l'entr[ée]e\s+et\s+du\s+s[ée]jour", "CESEDA"),
    (r"\bCESEDA\b", "CESEDA"),
];

/// Subjects outside the Code des douanes and the CIBS.
const OUT_OF_SCOPE: &[(&str, &str)] = &[
    (
        r"vitesse\s+(maximale|maximum|autoris[ée]e|limite)|limitation\s+de\s+vitesse|exc[èe]s\s+de\s+vitesse|permis\s+de\s+conduire|points?\s+(du|de\s+son|sur\s+le)\s+permis|points\s+(perd|retir)|perd\S*\s+(des\s+)?points|sur\s+(le|son)\s+permis\s+(pour|si|apr[èe]s|en\s+cas)",
        "règles de circulation routière",
    ),
    (
        r"\bTARIC\b|nomenclature\s+combin[ée]e|classement\s+tarifaire|position\s+tarifaire|code\s+SH\b|tarif\s+douanier\s+commun|(quel|quels|quelle)\s+(est\s+le\s+)?(taux\s+de\s+)?droits?\s+de\s+douane\s+(pour|sur|applicable)|taux\s+de\s+droits?\s+de\s+douane\s+(pour|sur|applicable)",
        "taux et classement du tarif douanier commun",
    ),
    (
        r"\bconcours\s+(externe|interne|d'entr[ée]e|de\s+(recrutement|contr[ôo]leur|inspecteur|agent))|\bdipl[ôo]mes?\b|\brecrutement\b|grille\s+indiciaire|avancement\s+de\s+grade|\btraitement\s+indiciaire|\bsalaire\s+d",
        "recrutement et carrière des agents",
    ),
    (
        r"imp[ôo]t\s+sur\s+le\s+revenu|taxe\s+fonci[èe]re|taxe\s+d'habitation|imp[ôo]t\s+sur\s+les\s+soci[ée]t[ée]s",
        "impôts directs",
    ),
];

/// Texts of ours: a question naming them is not about another text, whatever else it says.
const OUR_TEXTS: &str = r"code\s+des\s+douanes|\bCIBS\b|impositions\s+sur\s+les\s+biens";

fn compile(patterns: &[(&str, &'static str)]) -> Vec<(Regex, &'static str)> {
    patterns
        .iter()
        .map(|(p, name)| {
            let re = Regex::new(&format!("(?i){p}"))
                .unwrap_or_else(|e| unreachable!("static regex {p}: {e}"));
            (re, *name)
        })
        .collect()
}

fn other_texts() -> &'static [(Regex, &'static str)] {
    static RE: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    RE.get_or_init(|| compile(OTHER_TEXTS))
}

fn out_of_scope() -> &'static [(Regex, &'static str)] {
    static RE: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    RE.get_or_init(|| compile(OUT_OF_SCOPE))
}

fn our_texts() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(&format!("(?i){OUR_TEXTS}"))
            .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

/// Why the corpus cannot answer `question`, when its wording says so.
pub fn scope_abstention(question: &str) -> Option<Abstention> {
    // "code des douanes de l'Union" contains "code des douanes": strip the other texts' names
    // before looking for ours.
    let mut stripped = question.to_string();
    let mut other = None;
    for (re, name) in other_texts() {
        if re.is_match(question) {
            other.get_or_insert(*name);
            stripped = re.replace_all(&stripped, " ").into_owned();
        }
    }
    if let Some(name) = other
        && !our_texts().is_match(&stripped)
    {
        return Some(Abstention::OtherText {
            text: name.to_string(),
        });
    }
    out_of_scope()
        .iter()
        .find(|(re, _)| re.is_match(question))
        .map(|(_, subject)| Abstention::OutOfScope {
            subject: subject.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_on_another_code_is_out() {
        assert!(matches!(
            scope_abstention("Que prévoit l'article L. 1221-1 du code du travail ?"),
            Some(Abstention::OtherText { .. })
        ));
        assert!(matches!(
            scope_abstention("Article 5 du code des douanes de l'Union : définition ?"),
            Some(Abstention::OtherText { .. })
        ));
    }

    #[test]
    fn naming_our_code_beside_another_keeps_the_question() {
        assert_eq!(
            scope_abstention(
                "Le code des douanes renvoie-t-il au code pénal ou au code civil pour la solidarité ?"
            ),
            None
        );
    }

    #[test]
    fn subjects_outside_the_codes_are_out() {
        assert!(matches!(
            scope_abstention("Quel est le taux de droit de douane applicable aux vélos ?"),
            Some(Abstention::OutOfScope { .. })
        ));
        assert!(matches!(
            scope_abstention("Combien de points perd-on sur le permis pour un feu rouge ?"),
            Some(Abstention::OutOfScope { .. })
        ));
    }

    #[test]
    fn customs_questions_are_in() {
        for q in [
            "Un poids lourd qui passe la frontière terrestre peut-il livrer en France ?",
            "Quelle amende pour une fausse déclaration d'origine ?",
            "Les droits de douane sont-ils perçus selon l'origine des marchandises ?",
            "Quel tribunal juge une contravention douanière ?",
        ] {
            assert_eq!(scope_abstention(q), None, "{q}");
        }
    }
}
