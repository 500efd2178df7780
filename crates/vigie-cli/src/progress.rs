//! Progress display for long operations: a bar on a terminal, a line every tenth otherwise
//! (so CI logs show that indexing advances).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use vigie_engine::index::BuildProgress;

/// Shows index-build progress on stderr.
pub struct IndexProgress {
    bar: Option<ProgressBar>,
    last_tenth: usize,
}

impl IndexProgress {
    /// A display suited to stderr (bar on a terminal, lines otherwise).
    pub fn new() -> Self {
        Self {
            bar: None,
            last_tenth: usize::MAX,
        }
    }

    /// Reports one step.
    pub fn update(&mut self, step: BuildProgress) {
        let terminal = std::io::stderr().is_terminal();
        match step {
            BuildProgress::Chunked { chunks } => {
                eprintln!("Découpage : {chunks} passages à indexer.");
            }
            BuildProgress::Embedding { done, total } => {
                if terminal {
                    let bar = self.bar.get_or_insert_with(|| {
                        let bar = ProgressBar::new(total as u64);
                        if let Ok(style) = ProgressStyle::with_template(
                            "Embeddings {bar:40} {pos}/{len} passages ({per_sec}, reste {eta})",
                        ) {
                            bar.set_style(style);
                        }
                        bar
                    });
                    bar.set_position(done as u64);
                    if done == total {
                        bar.finish();
                    }
                } else {
                    let tenth = done * 10 / total.max(1);
                    if tenth != self.last_tenth {
                        self.last_tenth = tenth;
                        eprintln!("Embeddings : {done}/{total} passages");
                    }
                }
            }
            BuildProgress::Graph => eprintln!("Construction du graphe HNSW…"),
            BuildProgress::FullText => eprintln!("Construction de l'index plein texte…"),
            BuildProgress::Writing => eprintln!("Écriture et vérification de l'index…"),
        }
    }
}

/// A bar for a file copy in bytes (hidden when stderr is not a terminal).
pub fn bytes_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("Copie du modèle {bar:40} {bytes}/{total_bytes} ({eta})")
    {
        bar.set_style(style);
    }
    bar
}
