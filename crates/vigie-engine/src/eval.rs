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
        }
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
    }
}
