//! Retrieval evaluation on a question set with gold articles.
//!
//! Scoring follows the evaluation set's rules: for single-answer kinds a question is a hit at
//! k when all gold ids are in the top k; for `multi` the score is the fraction of gold ids in
//! the top k; MRR@10 uses the first gold id found; unanswerable questions are left out.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One evaluation question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalQuestion {
    /// Question id.
    pub qid: String,
    /// The question.
    pub question: String,
    /// Gold article ids (empty when unanswerable).
    #[serde(default)]
    pub gold: Vec<String>,
    /// Kind (`paraphrase`, `article-number`, `multi`, `cibs`, `unanswerable`).
    #[serde(default)]
    pub kind: String,
    /// The short fact a correct answer contains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_key: Option<String>,
}

impl EvalQuestion {
    /// Whether the corpus answers it.
    pub fn answerable(&self) -> bool {
        !self.gold.is_empty()
    }
}

/// Reads a JSON Lines question file (`qid`, `question`, optional `gold` and `kind`).
pub fn read_questions(path: &Path) -> Result<Vec<EvalQuestion>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: EvalQuestion = serde_json::from_str(line)
            .map_err(|e| format!("{}, line {}: {e}", path.display(), i + 1))?;
        out.push(q);
    }
    Ok(out)
}

/// Recall at k for one question.
pub fn recall_at_k(question: &EvalQuestion, ranked: &[String], k: usize) -> f64 {
    let top = &ranked[..ranked.len().min(k)];
    let found = question.gold.iter().filter(|g| top.contains(g)).count();
    if question.kind == "multi" {
        found as f64 / question.gold.len().max(1) as f64
    } else if found == question.gold.len() {
        1.0
    } else {
        0.0
    }
}

/// Reciprocal rank of the first gold id within the top 10.
pub fn reciprocal_rank_at_10(question: &EvalQuestion, ranked: &[String]) -> f64 {
    ranked
        .iter()
        .take(10)
        .position(|id| question.gold.contains(id))
        .map(|p| 1.0 / (p as f64 + 1.0))
        .unwrap_or(0.0)
}

/// Aggregated figures for a set of questions.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Questions counted.
    pub questions: usize,
    /// Recall@1.
    pub recall_at_1: f64,
    /// Recall@3.
    pub recall_at_3: f64,
    /// Recall@5.
    pub recall_at_5: f64,
    /// Recall@10.
    pub recall_at_10: f64,
    /// MRR@10.
    pub mrr_at_10: f64,
}

/// Metrics overall and per kind (and per code of the gold articles).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EvalReport {
    /// Answerable questions.
    pub overall: Metrics,
    /// Per question kind.
    pub per_kind: BTreeMap<String, Metrics>,
    /// Per code of the gold articles (`CD`, `CIBS`).
    pub per_code: BTreeMap<String, Metrics>,
}

/// Computes metrics from `(question, ranked ids)` pairs.
pub fn evaluate(results: &[(EvalQuestion, Vec<String>)]) -> EvalReport {
    let answerable: Vec<&(EvalQuestion, Vec<String>)> =
        results.iter().filter(|(q, _)| q.answerable()).collect();
    let mut report = EvalReport {
        overall: aggregate(&answerable),
        ..EvalReport::default()
    };
    let mut kinds: BTreeMap<String, Vec<&(EvalQuestion, Vec<String>)>> = BTreeMap::new();
    let mut codes: BTreeMap<String, Vec<&(EvalQuestion, Vec<String>)>> = BTreeMap::new();
    for item in &answerable {
        kinds.entry(item.0.kind.clone()).or_default().push(item);
        let code = item.0.gold[0]
            .split("-art-")
            .next()
            .unwrap_or("?")
            .to_string();
        codes.entry(code).or_default().push(item);
    }
    report.per_kind = kinds.into_iter().map(|(k, v)| (k, aggregate(&v))).collect();
    report.per_code = codes.into_iter().map(|(k, v)| (k, aggregate(&v))).collect();
    report
}

fn aggregate(items: &[&(EvalQuestion, Vec<String>)]) -> Metrics {
    let n = items.len();
    if n == 0 {
        return Metrics::default();
    }
    let mean = |f: &dyn Fn(&EvalQuestion, &[String]) -> f64| {
        items.iter().map(|(q, r)| f(q, r)).sum::<f64>() / n as f64
    };
    Metrics {
        questions: n,
        recall_at_1: mean(&|q, r| recall_at_k(q, r, 1)),
        recall_at_3: mean(&|q, r| recall_at_k(q, r, 3)),
        recall_at_5: mean(&|q, r| recall_at_k(q, r, 5)),
        recall_at_10: mean(&|q, r| recall_at_k(q, r, 10)),
        mrr_at_10: mean(&|q, r| reciprocal_rank_at_10(q, r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kind: &str, gold: &[&str]) -> EvalQuestion {
        EvalQuestion {
            qid: "q".into(),
            question: "?".into(),
            gold: gold.iter().map(|s| s.to_string()).collect(),
            kind: kind.into(),
            answer_key: None,
        }
    }

    #[test]
    fn key_fact_recall_counts_stemmed_content_words() {
        let key = "Retenue de 30 jours, renouvelable";
        let recall = key_fact_recall(
            key,
            "La retenue ne peut excéder trente jours ; elle est renouvelée.",
        )
        .unwrap_or(0.0);
        // « retenue », « jours » match, « 30 » does not (« trente »); « renouvelable » and
        // « renouvelée » share their stem only if the stemmer says so: at least 2 of 4.
        assert!((0.5..1.0).contains(&recall), "{recall}");
        assert_eq!(key_fact_recall("de la", "rien"), None);
        assert_eq!(
            key_fact_recall("non : pas de transaction", "la transaction"),
            Some(1.0)
        );
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recall_rules_follow_the_scoring_guide() {
        let single = q("paraphrase", &["A", "B"]);
        assert_eq!(recall_at_k(&single, &ids(&["A", "X", "B"]), 2), 0.0);
        assert_eq!(recall_at_k(&single, &ids(&["A", "X", "B"]), 3), 1.0);
        let multi = q("multi", &["A", "B"]);
        assert_eq!(recall_at_k(&multi, &ids(&["A", "X", "B"]), 2), 0.5);
        assert_eq!(reciprocal_rank_at_10(&multi, &ids(&["X", "B"])), 0.5);
    }

    #[test]
    fn unanswerable_questions_are_excluded() {
        let results = vec![
            (q("paraphrase", &["A"]), ids(&["A"])),
            (q("unanswerable", &[]), ids(&["Z"])),
        ];
        let report = evaluate(&results);
        assert_eq!(report.overall.questions, 1);
        assert_eq!(report.overall.recall_at_1, 1.0);
        assert_eq!(report.per_code.get("CD").map(|m| m.questions), None);
    }
}

/// What one answer of the evaluation did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnswerOutcome {
    /// Question id.
    pub qid: String,
    /// Question kind.
    pub kind: String,
    /// Gold article ids (empty: unanswerable).
    pub gold: Vec<String>,
    /// Whether Vigie abstained.
    pub abstained: bool,
    /// Ids of the final citations.
    pub cited: Vec<String>,
    /// Final citations marked invalid (a quotation not found verbatim).
    pub invalid_citations: usize,
    /// Final citations of articles that were not among the sources (must stay 0).
    pub cited_outside_sources: usize,
    /// Citations removed from the answer.
    pub rejected_citations: usize,
    /// Time to the first generated token, when the model was called.
    pub first_token_ms: Option<f64>,
    /// Whole answer.
    pub total_ms: f64,
    /// Article ids of the extract's passages, best first.
    pub extract_ids: Vec<String>,
    /// Time from the question to the extract.
    pub extract_ms: Option<f64>,
    /// Share of the answer key's content words (stemmed) found in the extract.
    pub key_recall_extract: Option<f64>,
    /// Same, in the model's text (set aside or not), when the model was called.
    pub key_recall_answer: Option<f64>,
    /// Whether the model was called.
    pub generated: bool,
    /// Why the model's text was set aside, when it was.
    pub synthesis_issue: Option<String>,
    /// Whether generation was stopped at a repeated sentence.
    pub repetition_stopped: bool,
    /// Citations with a verbatim quotation but outside the passages ranked relevant (shown
    /// without « ✓ »).
    pub citations_off_question: usize,
    /// Prompt tokens, when the model was called.
    pub prompt_tokens: Option<usize>,
    /// The confidence the answer said.
    pub confidence: crate::answer::Confidence,
    /// Numbers of the final synthesis that no article its sentence cites holds (must be 0).
    pub unsupported_numbers: usize,
}

impl AnswerOutcome {
    /// Whether the answer shows a gold article: in its extract or among its final citations.
    pub fn shows_gold(&self) -> bool {
        self.extract_ids
            .iter()
            .chain(&self.cited)
            .any(|id| self.gold.contains(id))
    }

    /// High confidence on an answerable question, and no gold article shown.
    pub fn confident_wrong(&self) -> bool {
        !self.gold.is_empty()
            && !self.abstained
            && self.confidence == crate::answer::Confidence::High
            && !self.shows_gold()
    }
}

/// How the confidence said matched the truth.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConfidenceReport {
    /// Answerable questions.
    pub answerable: usize,
    /// Of those, answered with high confidence without a gold article in the extract or the
    /// citations.
    pub confident_wrong: usize,
    /// `confident_wrong / answerable`.
    pub confident_wrong_rate: f64,
    /// Answerable questions answered with low confidence (or abstained on).
    pub low_or_abstained: usize,
    /// `low_or_abstained / answerable`.
    pub low_rate: f64,
    /// Unanswerable questions.
    pub unanswerable: usize,
    /// Of those, abstained on or answered with low confidence.
    pub unanswerable_abstained_or_low: usize,
    /// `unanswerable_abstained_or_low / unanswerable` (1 when none).
    pub unanswerable_abstained_or_low_rate: f64,
    /// Numbers of final syntheses not held by the articles cited (must be 0).
    pub unsupported_numbers: usize,
}

/// The confidence figures of some outcomes.
pub fn confidence_report(outcomes: &[AnswerOutcome]) -> ConfidenceReport {
    use crate::answer::Confidence;
    let (answerable, unanswerable): (Vec<&AnswerOutcome>, Vec<&AnswerOutcome>) =
        outcomes.iter().partition(|o| !o.gold.is_empty());
    let unsure = |o: &&&AnswerOutcome| o.abstained || o.confidence == Confidence::Low;
    let confident_wrong = answerable.iter().filter(|o| o.confident_wrong()).count();
    let low = answerable.iter().filter(unsure).count();
    let caught = unanswerable.iter().filter(unsure).count();
    let rate = |a: usize, b: usize, empty: f64| if b == 0 { empty } else { a as f64 / b as f64 };
    ConfidenceReport {
        answerable: answerable.len(),
        confident_wrong,
        confident_wrong_rate: rate(confident_wrong, answerable.len(), 0.0),
        low_or_abstained: low,
        low_rate: rate(low, answerable.len(), 0.0),
        unanswerable: unanswerable.len(),
        unanswerable_abstained_or_low: caught,
        unanswerable_abstained_or_low_rate: rate(caught, unanswerable.len(), 1.0),
        unsupported_numbers: outcomes.iter().map(|o| o.unsupported_numbers).sum(),
    }
}

/// Abstention and citation figures over a question set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AnswerEvalReport {
    /// Questions.
    pub questions: usize,
    /// Unanswerable questions.
    pub unanswerable: usize,
    /// Abstentions on unanswerable questions.
    pub correct_abstentions: usize,
    /// Abstentions on answerable questions.
    pub false_abstentions: usize,
    /// Correct abstentions / unanswerable questions.
    pub abstention_recall: f64,
    /// Correct abstentions / all abstentions (1 when none).
    pub abstention_precision: f64,
    /// False abstentions / answerable questions.
    pub false_abstention_rate: f64,
    /// Final citations in all answers.
    pub citations: usize,
    /// Share of them that are valid.
    pub citation_validity: f64,
    /// Final citations outside the sources given (must be 0).
    pub citations_outside_sources: usize,
    /// Citations removed because their article was not given.
    pub rejected_citations: usize,
    /// Among answered answerable questions, the share whose citations include a gold article.
    pub answers_citing_gold: f64,
    /// Median time to first token (answers that called the model).
    pub first_token_ms_p50: Option<f64>,
    /// Median whole-answer time.
    pub total_ms_p50: f64,
    /// The extract, overall (answerable questions) and per kind.
    pub extract: ExtractReport,
    /// Per question kind.
    pub extract_per_kind: BTreeMap<String, ExtractReport>,
    /// The confidence said, against the gold articles.
    pub confidence: ConfidenceReport,
}

/// What the extract and the synthesis were worth over a set of questions.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExtractReport {
    /// Answerable questions.
    pub questions: usize,
    /// A passage of a gold article is the first of the extract.
    pub extract_at_1: f64,
    /// A passage of a gold article is among the first three.
    pub extract_at_3: f64,
    /// Mean share of the answer key's content words in the extract.
    pub key_recall_extract: f64,
    /// Mean share of the answer key's content words in the model's text (answers that
    /// called the model).
    pub key_recall_answer: Option<f64>,
    /// Answers that called the model.
    pub generated: usize,
    /// Of those, texts set aside as a copy of the sources.
    pub copy_rate: f64,
    /// Texts set aside as a source header only.
    pub header_only_rate: f64,
    /// Generations stopped at a repeated sentence.
    pub repetition_rate: f64,
    /// Texts set aside for any reason.
    pub set_aside_rate: f64,
    /// Citations shown without « ✓ » because their passage does not concern the question.
    pub citations_off_question: usize,
    /// Median time to the extract.
    pub extract_ms_p50: Option<f64>,
    /// 95th percentile of the time to the extract.
    pub extract_ms_p95: Option<f64>,
    /// Median time to first token.
    pub first_token_ms_p50: Option<f64>,
    /// Median prompt tokens.
    pub prompt_tokens_p50: Option<f64>,
}

fn percentile(mut values: Vec<f64>, p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(values[rank - 1])
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The extract figures of some outcomes (answerable questions only).
pub fn extract_report<'a>(outcomes: impl Iterator<Item = &'a AnswerOutcome>) -> ExtractReport {
    let answerable: Vec<&AnswerOutcome> = outcomes.filter(|o| !o.gold.is_empty()).collect();
    let n = answerable.len();
    let hit =
        |o: &&AnswerOutcome, k: usize| o.extract_ids.iter().take(k).any(|id| o.gold.contains(id));
    let share = |count: usize, of: usize| {
        if of == 0 {
            0.0
        } else {
            count as f64 / of as f64
        }
    };
    let generated: Vec<&&AnswerOutcome> = answerable.iter().filter(|o| o.generated).collect();
    let issue = |name: &str| {
        generated
            .iter()
            .filter(|o| o.synthesis_issue.as_deref() == Some(name))
            .count()
    };
    ExtractReport {
        questions: n,
        extract_at_1: share(answerable.iter().filter(|o| hit(o, 1)).count(), n),
        extract_at_3: share(answerable.iter().filter(|o| hit(o, 3)).count(), n),
        key_recall_extract: mean(
            &answerable
                .iter()
                .filter_map(|o| o.key_recall_extract)
                .collect::<Vec<_>>(),
        )
        .unwrap_or(0.0),
        key_recall_answer: mean(
            &generated
                .iter()
                .filter_map(|o| o.key_recall_answer)
                .collect::<Vec<_>>(),
        ),
        generated: generated.len(),
        copy_rate: share(issue("copy"), generated.len()),
        header_only_rate: share(issue("header_only"), generated.len()),
        repetition_rate: share(
            generated.iter().filter(|o| o.repetition_stopped).count(),
            generated.len(),
        ),
        set_aside_rate: share(
            generated
                .iter()
                .filter(|o| o.synthesis_issue.is_some())
                .count(),
            generated.len(),
        ),
        citations_off_question: answerable.iter().map(|o| o.citations_off_question).sum(),
        extract_ms_p50: percentile(
            answerable.iter().filter_map(|o| o.extract_ms).collect(),
            0.5,
        ),
        extract_ms_p95: percentile(
            answerable.iter().filter_map(|o| o.extract_ms).collect(),
            0.95,
        ),
        first_token_ms_p50: percentile(
            generated.iter().filter_map(|o| o.first_token_ms).collect(),
            0.5,
        ),
        prompt_tokens_p50: percentile(
            generated
                .iter()
                .filter_map(|o| o.prompt_tokens.map(|t| t as f64))
                .collect(),
            0.5,
        ),
    }
}

/// Share of the content words of `key` (analysed: stemmed, accents folded, stop words out)
/// that `text` holds; none when the key has no content word. The answer's polarity (« oui »,
/// « non ») is no fact a sentence of the law can hold: it is not counted.
pub fn key_fact_recall(key: &str, text: &str) -> Option<f64> {
    use tantivy::tokenizer::TokenStream;
    const POLARITY: [&str; 2] = ["oui", "non"];
    let terms = |t: &str| -> std::collections::HashSet<String> {
        let mut analyzer = crate::index::french_analyzer();
        let mut stream = analyzer.token_stream(t);
        let mut out = std::collections::HashSet::new();
        while stream.advance() {
            let token = &stream.token().text;
            if !POLARITY.contains(&token.as_str()) {
                out.insert(token.clone());
            }
        }
        out
    };
    let key_terms = terms(key);
    if key_terms.is_empty() {
        return None;
    }
    let text_terms = terms(text);
    Some(
        key_terms.iter().filter(|t| text_terms.contains(*t)).count() as f64
            / key_terms.len() as f64,
    )
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

/// Sums up the answers of an evaluation run.
pub fn evaluate_answers(outcomes: &[AnswerOutcome]) -> AnswerEvalReport {
    let unanswerable = outcomes.iter().filter(|o| o.gold.is_empty()).count();
    let answerable = outcomes.len() - unanswerable;
    let correct = outcomes
        .iter()
        .filter(|o| o.gold.is_empty() && o.abstained)
        .count();
    let wrong = outcomes
        .iter()
        .filter(|o| !o.gold.is_empty() && o.abstained)
        .count();
    let citations: usize = outcomes.iter().map(|o| o.cited.len()).sum();
    let invalid: usize = outcomes.iter().map(|o| o.invalid_citations).sum();
    let answered: Vec<&AnswerOutcome> = outcomes
        .iter()
        .filter(|o| !o.gold.is_empty() && !o.abstained)
        .collect();
    let citing_gold = answered
        .iter()
        .filter(|o| o.cited.iter().any(|c| o.gold.contains(c)))
        .count();
    let ratio = |a: usize, b: usize, empty: f64| if b == 0 { empty } else { a as f64 / b as f64 };
    AnswerEvalReport {
        questions: outcomes.len(),
        unanswerable,
        correct_abstentions: correct,
        false_abstentions: wrong,
        abstention_recall: ratio(correct, unanswerable, 1.0),
        abstention_precision: ratio(correct, correct + wrong, 1.0),
        false_abstention_rate: ratio(wrong, answerable, 0.0),
        citations,
        citation_validity: ratio(citations - invalid, citations, 1.0),
        citations_outside_sources: outcomes.iter().map(|o| o.cited_outside_sources).sum(),
        rejected_citations: outcomes.iter().map(|o| o.rejected_citations).sum(),
        answers_citing_gold: ratio(citing_gold, answered.len(), 0.0),
        first_token_ms_p50: median(outcomes.iter().filter_map(|o| o.first_token_ms).collect()),
        total_ms_p50: median(outcomes.iter().map(|o| o.total_ms).collect()).unwrap_or(0.0),
        extract: extract_report(outcomes.iter()),
        confidence: confidence_report(outcomes),
        extract_per_kind: outcomes
            .iter()
            .filter(|o| !o.gold.is_empty())
            .map(|o| o.kind.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|kind| {
                let report = extract_report(outcomes.iter().filter(|o| o.kind == kind));
                (kind, report)
            })
            .collect(),
    }
}
