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
